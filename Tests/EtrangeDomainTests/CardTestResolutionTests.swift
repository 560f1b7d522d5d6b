import EtrangeDomain
import Foundation
import Testing

/// Every total here was worked out by hand from cards given in a known order (a one-card deck, or a
/// draw built by hand); no seed decides a card.
@Suite struct CardTestResolutionTests {
    let agility = Characteristic(name: "Agilité", value: 3)
    let sword = Bonus(name: "Épée", value: 1)

    func request(
        _ mode: DrawMode = .classic, bonuses: [Bonus] = [], difficulty: Int? = nil,
        characteristic: Characteristic? = nil
    ) -> TestRequest {
        TestRequest(
            characterName: "Armand", characteristic: characteristic ?? agility, bonuses: bonuses,
            difficulty: difficulty, mode: mode)
    }

    // MARK: Classic

    @Test func classicSevenOfSpades() throws {
        var rng = SplitMix64(seed: 0)
        var deck = CharacterDeck(suit: .spades, rows: [DeckRow(suit: .spades, ranks: [.seven])])
        let result = try deck.test(request(difficulty: 9), with: .current, using: &rng)
        #expect(result.draw == Draw(first: sevenOfSpades))
        #expect(result.kept == sevenOfSpades && result.setAside == nil)
        #expect(result.cardValue == 7 && result.total == 10)
        #expect(result.outcome == .success)
        #expect(result.valueTableName == "current")
        #expect(result.chatLine == "Armand tire le 7 de pique : 7 + Agilité 3 = 10 — RÉUSSITE (difficulté 9)")
    }

    @Test func classicFailure() throws {
        var rng = SplitMix64(seed: 0)
        var deck = CharacterDeck(suit: .diamonds, rows: [DeckRow(suit: .diamonds, ranks: [.two])])
        let result = try deck.test(request(bonuses: [sword], difficulty: 7), with: .current, using: &rng)
        #expect(result.total == 6)
        #expect(result.outcome == .failure)
        #expect(result.chatLine == "Armand tire le 2 de carreau : 2 + Agilité 3 + Épée 1 = 6 — ÉCHEC (difficulté 7)")
    }

    /// Reaching the difficulty is enough: 10 against 10 succeeds, 10 against 11 fails.
    @Test func reachingTheDifficultyIsASuccess() {
        let draw = Draw(first: sevenOfSpades)
        #expect(request(difficulty: 10).resolve(draw, with: .current).outcome == .success)
        #expect(request(difficulty: 11).resolve(draw, with: .current).outcome == .failure)
    }

    @Test func noDifficultyNoVerdict() {
        let result = TestRequest(characterName: "Louise", characteristic: .init(name: "Force", value: 2))
            .resolve(Draw(first: Card(.queen, of: .diamonds)), with: .current)
        #expect(result.total == 12)
        #expect(result.outcome == nil)
        #expect(result.chatLine == "Louise tire la Dame de carreau : 10 + Force 2 = 12")
    }

    @Test func twoBonusesAndAPenalty() {
        let bonuses = [Bonus(name: "Épée", value: 2), Bonus(name: "Fatigue", value: -3)]
        let result = request(bonuses: bonuses, difficulty: 8).resolve(
            Draw(first: Card(.nine, of: .clubs)), with: .current)
        // 9 + 3 + 2 − 3 = 11
        #expect(result.total == 11)
        #expect(
            result.chatLine
                == "Armand tire le 9 de trèfle : 9 + Agilité 3 + Épée 2 − Fatigue 3 = 11 — RÉUSSITE (difficulté 8)")
    }

    @Test func theAceUnderBothTables() {
        let draw = Draw(first: Card(.ace, of: .clubs))
        let current = request(difficulty: 5).resolve(draw, with: .current)
        let classic = request(difficulty: 5).resolve(draw, with: .classic)
        #expect(current.total == 4 && current.outcome == .failure)
        #expect(classic.total == 17 && classic.outcome == .success)
        #expect(classic.valueTableName == "classic")
        #expect(current.chatLine == "Armand tire l'As de trèfle : 1 + Agilité 3 = 4 — ÉCHEC (difficulté 5)")
        #expect(classic.chatLine == "Armand tire l'As de trèfle : 14 + Agilité 3 = 17 — RÉUSSITE (difficulté 5)")
    }

    // MARK: Advantage and disadvantage

    @Test func advantageKeepsTheHigher() {
        let draw = Draw(first: sevenOfSpades, second: kingOfHearts)
        let result = request(.advantage, bonuses: [sword], difficulty: 12).resolve(draw, with: .current)
        #expect(result.kept == kingOfHearts && result.setAside == sevenOfSpades)
        #expect(result.total == 14 && result.outcome == .success)
        #expect(
            result.chatLine
                == "Armand tire le 7 de pique et le Roi de cœur (avantage, garde le Roi de cœur) : 10 + Agilité 3 + Épée 1 = 14 — RÉUSSITE (difficulté 12)"
        )
    }

    @Test func disadvantageKeepsTheLower() {
        let draw = Draw(first: sevenOfSpades, second: kingOfHearts)
        let result = request(.disadvantage, bonuses: [sword], difficulty: 12).resolve(draw, with: .current)
        #expect(result.kept == sevenOfSpades && result.setAside == kingOfHearts)
        #expect(result.total == 11 && result.outcome == .failure)
        #expect(
            result.chatLine
                == "Armand tire le 7 de pique et le Roi de cœur (désavantage, garde le 7 de pique) : 7 + Agilité 3 + Épée 1 = 11 — ÉCHEC (difficulté 12)"
        )
    }

    /// The kept card does not depend on the order when ranks differ.
    @Test func orderDoesNotMatterWhenRanksDiffer() {
        let low = Card(.three, of: .hearts)
        let high = Card(.eight, of: .spades)
        for draw in [Draw(first: low, second: high), Draw(first: high, second: low)] {
            #expect(request(.advantage).resolve(draw, with: .current).kept == high)
            #expect(request(.disadvantage).resolve(draw, with: .current).kept == low)
        }
    }

    // MARK: By rank, not by value (worked by hand)

    /// Roi and 10 are both worth 10, but the Roi ranks higher: advantage keeps it, disadvantage the 10.
    @Test func aKingBeatsATenThoughBothAreWorthTen() {
        let ten = Card(.ten, of: .diamonds)
        for draw in [Draw(first: ten, second: kingOfHearts), Draw(first: kingOfHearts, second: ten)] {
            #expect(request(.advantage).resolve(draw, with: .current).kept == kingOfHearts)
            #expect(request(.disadvantage).resolve(draw, with: .current).kept == ten)
        }
        // Valet < Dame < Roi, though all three are worth 10.
        let jack = Card(.jack, of: .clubs)
        let queen = Card(.queen, of: .spades)
        #expect(request(.advantage).resolve(Draw(first: queen, second: jack), with: .current).kept == queen)
        #expect(request(.disadvantage).resolve(Draw(first: queen, second: jack), with: .current).kept == jack)
    }

    /// The As is the lowest rank under any table, even the classic one where it is worth 14.
    @Test func theAceIsTheLowestRank() {
        let draw = Draw(first: Card(.ace, of: .spades), second: Card(.two, of: .hearts))
        #expect(request(.advantage).resolve(draw, with: .current).kept == Card(.two, of: .hearts))
        #expect(request(.advantage).resolve(draw, with: .classic).kept == Card(.two, of: .hearts))
        let result = request(.advantage, difficulty: 5).resolve(draw, with: .current)
        #expect(
            result.chatLine
                == "Armand tire l'As de pique et le 2 de cœur (avantage, garde le 2 de cœur) : 2 + Agilité 3 = 5 — RÉUSSITE (difficulté 5)"
        )
    }

    // MARK: Ties of rank: the first card turned over is kept

    @Test func tiesKeepTheFirstCard() {
        let sevenOfHearts = Card(.seven, of: .hearts)
        for mode in [DrawMode.advantage, .disadvantage] {
            let first = request(mode).resolve(Draw(first: sevenOfSpades, second: sevenOfHearts), with: .current)
            #expect(first.kept == sevenOfSpades && first.setAside == sevenOfHearts)
            let swapped = request(mode).resolve(Draw(first: sevenOfHearts, second: sevenOfSpades), with: .current)
            #expect(swapped.kept == sevenOfHearts)
        }
        // A pot Roi and a Roi of the rows tie too.
        let pot = Card(.king, of: .hearts, origin: .pot)
        #expect(request(.advantage).resolve(Draw(first: pot, second: kingOfHearts), with: .current).kept == pot)
        let line = request(.advantage, difficulty: 10).resolve(Draw(first: pot, second: kingOfHearts), with: .current)
            .chatLine
        #expect(
            line
                == "Armand tire le Roi de cœur (pot) et le Roi de cœur (avantage, garde le Roi de cœur) : 10 + Agilité 3 = 13 — RÉUSSITE (difficulté 10)"
        )
    }

    // MARK: The joker

    /// Worth what the player chose, the table's best value by default; it ranks above the Roi.
    @Test func theJokersValueIsChosen() throws {
        var rng = SplitMix64(seed: 0)
        var deck = CharacterDeck(suit: .spades, rows: [], joker: true)
        let chosen = try deck.test(
            TestRequest(characterName: "Armand", characteristic: agility, difficulty: 10, jokerValue: 4),
            with: .current, using: &rng)
        #expect(chosen.kept == .joker && chosen.cardValue == 4 && chosen.total == 7 && chosen.outcome == .failure)
        let best = try deck.test(request(difficulty: 13), with: .current, using: &rng)
        #expect(best.total == 13 && best.outcome == .success)
        #expect(best.chatLine == "Armand tire le Joker : 10 + Agilité 3 = 13 — RÉUSSITE (difficulté 13)")
        #expect(try deck.test(request(), with: .classic, using: &rng).cardValue == 14)
        #expect(deck.joker && deck.cards == [.joker], "never spent")
        #expect(throws: TestRefusal.jokerValue(11, allowed: 1...10)) {
            try deck.test(
                TestRequest(characterName: "A", characteristic: nil, jokerValue: 11), with: .current, using: &rng)
        }
        #expect(
            request(.advantage).resolve(Draw(first: kingOfHearts, second: .joker), with: .current).kept == .joker)
        #expect(
            request(.disadvantage).resolve(Draw(first: .joker, second: kingOfHearts), with: .current).kept
                == kingOfHearts)
    }

    // MARK: Validation

    @Test func atMostTwoBonuses() throws {
        var rng = SplitMix64(seed: 0)
        let three = [sword, Bonus(name: "Cheval", value: 1), Bonus(name: "Chance", value: 2)]
        var deck = CharacterDeck(suit: .spades, rows: [], pot: Pot(king: .deck))
        let before = deck
        #expect(throws: TestRefusal.tooManyBonuses(3)) {
            try deck.test(request(bonuses: three), with: .current, using: &rng)
        }
        #expect(deck == before, "a refused test spends nothing")
        #expect(TestRefusal.tooManyBonuses(3).reason == "Un test accepte au plus 2 bonus (3 demandés).")
        #expect(throws: Never.self) {
            try deck.test(request(bonuses: Array(three.prefix(2))), with: .current, using: &rng)
        }
    }

    @Test func namesAreRequired() {
        #expect(throws: TestRefusal.unnamedCharacteristic) {
            try request(characteristic: .init(name: "  ", value: 2)).validate().get()
        }
        #expect(throws: TestRefusal.unnamedBonus(position: 2)) {
            try request(bonuses: [sword, .init(name: "", value: 1)]).validate().get()
        }
        #expect(TestRefusal.unnamedBonus(position: 2).reason == "Le bonus n° 2 doit avoir un nom.")
        #expect(TestRefusal.unnamedCharacteristic.reason == "La caractéristique du test doit avoir un nom.")
        #expect((try? request(bonuses: [sword]).validate().get()) != nil)
    }

    @Test func aResultCanBeStored() throws {
        let result = request(.advantage, bonuses: [sword], difficulty: 12)
            .resolve(Draw(first: sevenOfSpades, second: kingOfHearts, reshuffled: true), with: .current)
        let decoded = try JSONDecoder().decode(TestResult.self, from: JSONEncoder().encode(result))
        #expect(decoded == result)
        #expect(decoded.chatLine == result.chatLine)
    }

    @Test func modeLabels() {
        #expect(DrawMode.allCases.map(\.cardCount) == [1, 2, 2])
        #expect(DrawMode.allCases.map(\.label) == ["classique", "avantage", "désavantage"])
        #expect(TestOutcome.success.label == "RÉUSSITE" && TestOutcome.failure.label == "ÉCHEC")
    }
}
