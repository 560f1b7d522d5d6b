import EtrangeDomain
import Foundation
import Testing

/// Tests resolved from a character's sheet, every figure worked out by hand.
@Suite struct SheetTests {
    /// Force 2 raised to 3 by Colosse, Santé 8 with 3 dégâts, Bagarre 2 with the profession Boxeur 1,
    /// Télékinésie 3 with the voie Psychisme 2.
    let sheet = CharacterSheet(
        characteristics: [
            SheetCharacteristic(name: "Force", value: 2),
            SheetCharacteristic(name: "Dextérité", value: 1),
            SheetCharacteristic(name: "Santé", value: 8, reducedBy: "Dégâts"),
            SheetCharacteristic(name: "Dégâts", value: 3),
        ],
        skills: [SheetAbility(name: "Bagarre", level: 2)],
        capacities: [
            SheetAbility(name: "Colosse", level: 1, raises: "Force"),
            SheetAbility(name: "Télékinésie", level: 3),
        ],
        profession: SheetScore(name: "Boxeur", score: 1), hobby: SheetScore(name: "Pêche", score: 2),
        voie: SheetScore(name: "Psychisme", score: 2),
        effects: [
            TriggeredEffect(
                rank: .seven, suit: .spades, target: .skill("Bagarre"), description: "L'adversaire est sonné."),
            TriggeredEffect(
                rank: .ace, suit: .spades, target: .characteristic("Dextérité"), description: "Un geste parfait."),
        ])

    func names(_ terms: [Bonus]) -> [String] { terms.map { "\($0.name) \($0.value)" } }

    @Test func aCharacteristicRaisedByACapacity() throws {
        #expect(names(try sheet.terms(for: .init(characteristic: "Force"))) == ["Force 2", "Colosse 1"])
        #expect(names(try sheet.terms(for: .init(characteristic: "Dextérité"))) == ["Dextérité 1"])
    }

    @Test func healthCountsAsHealthMinusDamageNeverBelowZero() throws {
        #expect(names(try sheet.terms(for: .init(characteristic: "Santé"))) == ["Santé 8", "Dégâts -3"])
        var hurt = sheet
        hurt.characteristics[3].value = 11
        let terms = try hurt.terms(for: .init(characteristic: "Santé"))
        #expect(names(terms) == ["Santé 8", "Dégâts -8"])
        #expect(terms.reduce(0) { $0 + $1.value } == 0)
    }

    @Test func aSkillAddsTheProfessionACapacityTheVoie() throws {
        #expect(
            names(try sheet.terms(for: .init(characteristic: "Force", skill: "Bagarre")))
                == ["Force 2", "Colosse 1", "Bagarre 2", "Boxeur 1"])
        #expect(names(try sheet.terms(for: .init(capacity: "Télékinésie"))) == ["Télékinésie 3", "Psychisme 2"])
    }

    @Test func unknownNamesAreRefused() {
        #expect(throws: SheetError.unknownCharacteristic("Agilité")) {
            try sheet.terms(for: .init(characteristic: "Agilité"))
        }
        #expect(throws: SheetError.unknownSkill("Escrime")) { try sheet.terms(for: .init(skill: "Escrime")) }
        #expect(throws: SheetError.unknownCapacity("Vol")) { try sheet.terms(for: .init(capacity: "Vol")) }
        #expect(throws: SheetError.skillAndCapacity) {
            try sheet.terms(for: .init(skill: "Bagarre", capacity: "Télékinésie"))
        }
        #expect(throws: SheetError.nothingNamed) { try sheet.terms(for: .init()) }
        #expect(SheetError.unknownSkill("Escrime").reason == "La fiche n'a pas de compétence « Escrime ».")
    }

    /// The issue's example: « 7 de pique : 7 + Force 3 + Bagarre 2 + Boxeur 1 = 13 — RÉUSSITE
    /// (difficulté 12) », here with Force 2 raised by Colosse 1, every term shown.
    @Test func theResultShowsEveryTerm() throws {
        let request = try sheet.filling(
            TestRequest(
                characterName: "Armand", characteristic: nil, difficulty: DifficultyPreset.difficile.value,
                reference: .init(characteristic: "Force", skill: "Bagarre")))
        let result = request.resolve(Draw(first: sevenOfSpades), with: .current, effects: sheet.effects)
        #expect(result.total == 13 && result.outcome == .success)
        #expect(
            result.chatLine
                == "Armand tire le 7 de pique : 7 + Force 2 + Colosse 1 + Bagarre 2 + Boxeur 1 = 13 — RÉUSSITE (difficulté 12) — effet déclenché : L'adversaire est sonné."
        )
        #expect(result.effect == sheet.effects[0])
        let stored = try JSONDecoder().decode(TestResult.self, from: JSONEncoder().encode(result))
        #expect(stored == result)
    }

    /// The effect needs all three: the kept card, a success, and the test naming its target.
    @Test func anEffectFiresOnlyOnASuccessWithTheMatchingKeptCard() throws {
        let bagarre = SheetReference(characteristic: "Force", skill: "Bagarre")
        func effect(_ reference: SheetReference, _ draw: Draw, difficulty: Int?, _ mode: DrawMode = .classic) throws
            -> TriggeredEffect?
        {
            try sheet.filling(
                TestRequest(
                    characterName: "A", characteristic: nil, difficulty: difficulty, mode: mode, reference: reference)
            ).resolve(draw, with: .current, effects: sheet.effects).effect
        }
        let seven = Draw(first: sevenOfSpades)
        #expect(try effect(bagarre, seven, difficulty: 13) != nil, "13 reaches 13")
        #expect(try effect(bagarre, seven, difficulty: 14) == nil, "a failure triggers nothing")
        #expect(try effect(bagarre, seven, difficulty: nil) == nil, "no difficulty, no success")
        #expect(try effect(bagarre, Draw(first: Card(.seven, of: .hearts)), difficulty: 5) == nil, "another suit")
        #expect(try effect(bagarre, Draw(first: Card(.eight, of: .spades)), difficulty: 5) == nil, "another rank")
        #expect(try effect(.init(characteristic: "Force"), seven, difficulty: 5) == nil, "Bagarre not named")
        // The card kept decides, not a card set aside.
        let aside = Draw(first: Card(.nine, of: .spades), second: sevenOfSpades)
        #expect(try effect(bagarre, aside, difficulty: 5, .advantage) == nil)
        #expect(try effect(bagarre, aside, difficulty: 5, .disadvantage) == sheet.effects[0])
        // An effect tied to a characteristic fires on a test of that characteristic, typed or not.
        let ace = Draw(first: Card(.ace, of: .spades))
        #expect(try effect(.init(characteristic: "Dextérité"), ace, difficulty: 2)?.description == "Un geste parfait.")
        let typed = TestRequest(
            characterName: "A", characteristic: Characteristic(name: "Dextérité", value: 1), difficulty: 2)
        #expect(typed.resolve(ace, with: .current, effects: sheet.effects).effect == sheet.effects[1])
    }

    @Test func thePresets() {
        #expect(DifficultyPreset.allCases.map(\.value) == [5, 10, 12, 15, 20])
        #expect(
            DifficultyPreset.allCases.map(\.label) == [
                "Facile", "Normal", "Difficile", "Très difficile", "Quasi impossible",
            ])
        #expect(DifficultyPreset(rawValue: "tres_difficile") == .tresDifficile)
        // Total ≥ difficulty succeeds, for every preset.
        for preset in DifficultyPreset.allCases {
            let at = TestRequest(
                characterName: "A", characteristic: .init(name: "Force", value: preset.value - 7),
                difficulty: preset.value)
            #expect(at.resolve(Draw(first: sevenOfSpades), with: .current).outcome == .success)
            var below = at
            below.characteristic?.value -= 1
            #expect(below.resolve(Draw(first: sevenOfSpades), with: .current).outcome == .failure)
        }
    }

    /// A result stored before sheets, effects and the joker's value still reads.
    @Test func anOldResultStillReads() throws {
        let old = #"""
            {"request":{"characterName":"Armand","characteristic":{"name":"Agilité","value":3},"bonuses":[],"difficulty":9,"mode":"classic"},
             "draw":{"first":{"rank":"7","suit":"spades","origin":"base"},"reshuffled":true},
             "kept":{"rank":"7","suit":"spades","origin":"base"},"cardValue":7,"total":10,"outcome":"success","valueTableName":"current"}
            """#
        let result = try JSONDecoder().decode(TestResult.self, from: Data(old.utf8))
        #expect(result.reshuffled && result.effect == nil && result.request.reference == nil)
        #expect(result.chatLine == "Armand tire le 7 de pique : 7 + Agilité 3 = 10 — RÉUSSITE (difficulté 9)")
    }

    @Test func theAppsDefaults() {
        #expect(
            CharacterSheet.appDefaults.characteristics.map(\.name) == [
                "Force", "Dextérité", "Intelligence", "Charisme", "Mémoire", "Volonté", "Santé", "Dégâts",
            ])
    }
}

@Suite struct SheetValidationTests {
    @Test func namesMustPointSomewhere() {
        #expect(throws: Never.self) { try CharacterSheet.appDefaults.validate() }
        var sheet = CharacterSheet.appDefaults
        sheet.capacities = [SheetAbility(name: "Colosse", level: 1, raises: "Puissance")]
        #expect(throws: SheetError.raisesUnknown(capacity: "Colosse", characteristic: "Puissance")) {
            try sheet.validate()
        }
        sheet.capacities = [SheetAbility(name: "Colosse", level: 1), SheetAbility(name: "Colosse", level: 2)]
        #expect(throws: SheetError.duplicate(kind: "capacités", name: "Colosse")) { try sheet.validate() }
        sheet.capacities = []
        sheet.effects = [TriggeredEffect(rank: .ace, suit: .clubs, target: .skill("Escrime"), description: "x")]
        #expect(throws: SheetError.effectTargetUnknown("Escrime")) { try sheet.validate() }
        sheet.effects = []
        sheet.characteristics[6].reducedBy = "Blessures"
        #expect(throws: SheetError.reducedByUnknown(characteristic: "Santé", by: "Blessures")) { try sheet.validate() }
    }
}
