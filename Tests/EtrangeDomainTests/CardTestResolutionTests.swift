import EtrangeDomain
import Foundation
import Testing

/// Every total here was worked out by hand from a deck stacked in a known order; no seed decides a card.
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
        var deck = try Deck.stacked([sevenOfSpades, kingOfHearts])
        let result = try deck.test(request(difficulty: 9), using: &rng)
        #expect(result.draw == Draw(first: sevenOfSpades))
        #expect(result.kept == sevenOfSpades && result.setAside == nil)
        #expect(result.cardValue == 7 && result.total == 10)
        #expect(result.outcome == .success)
        #expect(result.valueTableName == "current")
        #expect(result.chatLine == "Armand tire le 7 de pique : 7 + Agilité 3 = 10 — RÉUSSITE (difficulté 9)")
        #expect(deck.drawPile.first == kingOfHearts && deck.discardPile == [sevenOfSpades])
    }

    @Test func classicFailure() throws {
        var rng = SplitMix64(seed: 0)
        var deck = try Deck.stacked([Card(.two, of: .diamonds)])
        let result = try deck.test(request(bonuses: [sword], difficulty: 7), using: &rng)
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

    @Test func advantageKeepsTheHigher() throws {
        var rng = SplitMix64(seed: 0)
        var deck = try Deck.stacked([sevenOfSpades, kingOfHearts, Card(.two, of: .clubs)])
        let result = try deck.test(request(.advantage, bonuses: [sword], difficulty: 12), using: &rng)
        #expect(result.draw.cards == [sevenOfSpades, kingOfHearts])
        #expect(result.kept == kingOfHearts && result.setAside == sevenOfSpades)
        #expect(result.total == 14 && result.outcome == .success)
        #expect(
            result.chatLine
                == "Armand tire le 7 de pique et le Roi de cœur (avantage, garde le Roi de cœur) : 10 + Agilité 3 + Épée 1 = 14 — RÉUSSITE (difficulté 12)"
        )
        #expect(deck.discardPile == [sevenOfSpades, kingOfHearts])
        #expect(deck.drawPile.first == Card(.two, of: .clubs))
    }

    @Test func disadvantageKeepsTheLower() throws {
        var rng = SplitMix64(seed: 0)
        var deck = try Deck.stacked([sevenOfSpades, kingOfHearts])
        let result = try deck.test(request(.disadvantage, bonuses: [sword], difficulty: 12), using: &rng)
        #expect(result.kept == sevenOfSpades && result.setAside == kingOfHearts)
        #expect(result.total == 11 && result.outcome == .failure)
        #expect(
            result.chatLine
                == "Armand tire le 7 de pique et le Roi de cœur (désavantage, garde le 7 de pique) : 7 + Agilité 3 + Épée 1 = 11 — ÉCHEC (difficulté 12)"
        )
    }

    /// The kept card does not depend on the order when values differ.
    @Test func orderDoesNotMatterWhenValuesDiffer() {
        let low = Card(.three, of: .hearts)
        let high = Card(.eight, of: .spades)
        for draw in [Draw(first: low, second: high), Draw(first: high, second: low)] {
            #expect(request(.advantage).resolve(draw, with: .current).kept == high)
            #expect(request(.disadvantage).resolve(draw, with: .current).kept == low)
        }
    }

    // MARK: Ties: on equal values the first card turned over is kept

    @Test func tiesKeepTheFirstCard() {
        let king = kingOfHearts
        let queen = Card(.queen, of: .spades)
        let ten = Card(.ten, of: .diamonds)
        for mode in [DrawMode.advantage, .disadvantage] {
            #expect(request(mode).resolve(Draw(first: king, second: queen), with: .current).kept == king)
            #expect(request(mode).resolve(Draw(first: queen, second: king), with: .current).kept == queen)
            #expect(request(mode).resolve(Draw(first: ten, second: king), with: .current).setAside == king)
        }
        // The base and pot copies of one figure tie under any table.
        let base = Card(.jack, of: .spades)
        let pot = Card(.jack, of: .spades, origin: .pot)
        #expect(request(.advantage).resolve(Draw(first: pot, second: base), with: .classic).kept == pot)
    }

    @Test func aTieUnderOneTableIsNotATieUnderTheOther() {
        let king = kingOfHearts
        let queen = Card(.queen, of: .spades)
        let draw = Draw(first: queen, second: king)
        #expect(request(.advantage).resolve(draw, with: .current).kept == queen)
        #expect(request(.advantage).resolve(draw, with: .classic).kept == king)
        #expect(request(.disadvantage).resolve(draw, with: .classic).kept == queen)
    }

    @Test func theTableDecidesBetweenAnAceAndATwo() {
        let draw = Draw(first: Card(.ace, of: .spades), second: Card(.two, of: .hearts))
        #expect(request(.advantage).resolve(draw, with: .current).kept == Card(.two, of: .hearts))
        #expect(request(.advantage).resolve(draw, with: .classic).kept == Card(.ace, of: .spades))
        let result = request(.advantage, difficulty: 5).resolve(draw, with: .current)
        #expect(
            result.chatLine
                == "Armand tire l'As de pique et le 2 de cœur (avantage, garde le 2 de cœur) : 2 + Agilité 3 = 5 — RÉUSSITE (difficulté 5)"
        )
    }

    // MARK: The joker

    @Test func theJokerIsWorthTheHighestValue() throws {
        var rng = SplitMix64(seed: 0)
        var current = try Deck.stacked([.joker], joker: true)
        var classic = try Deck.stacked([.joker], table: .classic, joker: true)
        let currentResult = try current.test(request(difficulty: 13), using: &rng)
        let classicResult = try classic.test(request(difficulty: 13), using: &rng)
        #expect(currentResult.total == 13 && currentResult.outcome == .success)
        #expect(classicResult.total == 17)
        #expect(currentResult.chatLine == "Armand tire le Joker : 10 + Agilité 3 = 13 — RÉUSSITE (difficulté 13)")
        #expect(current.hasJoker && !current.discardPile.contains(.joker))
    }

    /// Worth the highest value, the joker ties with the best cards rather than beating them.
    @Test func theJokerTiesWithTheBestCards() {
        #expect(
            request(.advantage).resolve(Draw(first: kingOfHearts, second: .joker), with: .current).kept == kingOfHearts)
        #expect(request(.advantage).resolve(Draw(first: .joker, second: kingOfHearts), with: .current).kept == .joker)
        #expect(request(.advantage).resolve(Draw(first: kingOfHearts, second: .joker), with: .classic).kept == .joker)
        let ace = Card(.ace, of: .hearts)
        #expect(request(.advantage).resolve(Draw(first: ace, second: .joker), with: .classic).kept == ace)
        #expect(request(.disadvantage).resolve(Draw(first: .joker, second: ace), with: .current).kept == ace)
    }

    // MARK: Exhaustion, in the chat

    @Test func aReshuffleIsAnnounced() throws {
        var rng = SplitMix64(seed: 0)
        var deck = try Deck(figure: .spades, drawPile: [], discardPile: Deck.baseCards)
        let result = try deck.test(request(), using: &rng)
        #expect(result.reshuffled)
        #expect(result.reshuffleLine == "Armand a épuisé sa pioche : la défausse est remélangée.")
        #expect(result.chatLines == [result.reshuffleLine!, result.chatLine])
        let next = try deck.test(request(), using: &rng)
        #expect(!next.reshuffled && next.reshuffleLine == nil && next.chatLines == [next.chatLine])
    }

    // MARK: Validation

    @Test func atMostTwoBonuses() throws {
        var rng = SplitMix64(seed: 0)
        let three = [sword, Bonus(name: "Cheval", value: 1), Bonus(name: "Chance", value: 2)]
        var deck = try Deck.stacked([sevenOfSpades])
        let before = deck
        #expect(throws: TestRefusal.tooManyBonuses(3)) { try deck.test(request(bonuses: three), using: &rng) }
        #expect(deck == before, "a refused test draws no card")
        #expect(TestRefusal.tooManyBonuses(3).reason == "Un test accepte au plus 2 bonus (3 demandés).")
        #expect(throws: Never.self) { try deck.test(request(bonuses: Array(three.prefix(2))), using: &rng) }
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
