import EtrangeDomain
import Foundation
import Testing

extension Deck {
    /// A deck whose draw pile starts with `top`, then the remaining base cards in new-deck order;
    /// `discard` lies in the discard. Pot cards named in `top` or `discard` bring the rest of the pot
    /// at the bottom of the draw pile, so tests can be worked out by hand.
    static func stacked(
        _ top: [Card], discard: [Card] = [], figure: Suit = .spades,
        table: CardValueTable = .current, pot: Bool = false, joker: Bool = false
    ) throws -> Deck {
        let named = Set(top + discard)
        let pot = pot || named.contains { $0.origin == .pot }
        let extras = (pot ? Deck.potCards(of: figure) : []) + (joker ? [Card.joker] : [])
        let rest = (Deck.baseCards + extras).filter { !named.contains($0) }
        return try Deck(figure: figure, valueTable: table, drawPile: top + rest, discardPile: discard)
    }
}

let sevenOfSpades = Card(.seven, of: .spades)
let kingOfHearts = Card(.king, of: .hearts)

@Suite struct DeckTests {
    @Test func aFreshDeckIsTheBaseDeckInOrder() {
        let deck = Deck(figure: .hearts)
        #expect(deck.drawPile == Deck.baseCards)
        #expect(deck.discardPile.isEmpty)
        #expect(deck.figure == .hearts && deck.valueTable == .current)
        #expect(!deck.hasPot && !deck.hasJoker)
    }

    @Test func drawingTakesFromTheTopAndDiscards() throws {
        var deck = try Deck.stacked([sevenOfSpades, kingOfHearts])
        var rng = SplitMix64(seed: 1)
        let draw = deck.draw(using: &rng)
        #expect(draw == Draw(first: sevenOfSpades))
        #expect(deck.drawPile.first == kingOfHearts)
        #expect(deck.discardPile == [sevenOfSpades])
        #expect(deck.count == 52)
        let pair = deck.draw(.advantage, using: &rng)
        #expect(pair.cards == [kingOfHearts, Card(.ace, of: .spades)])
        #expect(deck.discardPile == [sevenOfSpades, kingOfHearts, Card(.ace, of: .spades)])
        #expect(deck.drawPile.count == 49)
    }

    @Test(arguments: [0, 1, 2, 3, 4] as [UInt64])
    func onePassShowsEveryCardOnce(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var deck = Deck(figure: .clubs)
        deck.shuffle(using: &rng)
        var seen: [Card] = []
        for _ in 0..<52 {
            let draw = deck.draw(using: &rng)
            #expect(!draw.reshuffled)
            seen.append(draw.first)
        }
        #expect(Set(seen).count == 52)
        #expect(Set(seen) == Set(Deck.baseCards))
        #expect(deck.drawPile.isEmpty)
        #expect(deck.discardPile == seen)
    }

    @Test func anEmptyDrawPileIsReshuffledAndSaysSo() throws {
        var deck = try Deck(figure: .spades, drawPile: [], discardPile: Deck.baseCards)
        var rng = SplitMix64(seed: 7)
        let draw = deck.draw(using: &rng)
        #expect(draw.reshuffled)
        #expect(deck.drawPile.count == 51)
        #expect(deck.discardPile == [draw.first])
        #expect(Set(deck.drawPile + deck.discardPile) == Set(Deck.baseCards))
        #expect(!deck.draw(using: &rng).reshuffled)
    }

    @Test func theFiftyThirdDrawReshuffles() {
        var rng = SplitMix64(seed: 11)
        var deck = Deck(figure: .spades)
        deck.shuffle(using: &rng)
        let pass = (0..<52).map { _ in deck.draw(using: &rng) }
        #expect(pass.allSatisfy { !$0.reshuffled })
        let next = deck.draw(using: &rng)
        #expect(next.reshuffled)
        #expect(deck.drawPile.count == 51 && deck.discardPile == [next.first])
    }

    /// The last card left is the first of an advantage: the discard comes back for the second, but
    /// not the card in hand, so the two cards differ and both end in the discard.
    @Test func reshufflingBetweenTwoCardsNeverRepeatsTheFirst() throws {
        for seed in 0..<50 as Range<UInt64> {
            var rng = SplitMix64(seed: seed)
            let others = Deck.baseCards.filter { $0 != sevenOfSpades }
            var deck = try Deck(figure: .spades, drawPile: [sevenOfSpades], discardPile: others)
            let draw = deck.draw(.advantage, using: &rng)
            #expect(draw.reshuffled)
            #expect(draw.first == sevenOfSpades)
            #expect(draw.second != sevenOfSpades)
            #expect(deck.discardPile == draw.cards)
            #expect(deck.drawPile.count == 50)
        }
    }

    @Test func shufflingPutsTheDiscardBack() {
        var rng = SplitMix64(seed: 3)
        var deck = Deck(figure: .diamonds)
        deck.shuffle(using: &rng)
        for _ in 0..<10 { _ = deck.draw(using: &rng) }
        #expect(deck.discardPile.count == 10)
        deck.shuffle(using: &rng)
        #expect(deck.discardPile.isEmpty)
        #expect(deck.drawPile.count == 52)
        #expect(Set(deck.drawPile) == Set(Deck.baseCards))
    }

    /// The table is data on the deck: switching rules changes the values, not the cards.
    @Test func switchingRulesKeepsTheCards() throws {
        var deck = try Deck.stacked([Card(.ace, of: .hearts), Card(.ace, of: .clubs)])
        var rng = SplitMix64(seed: 0)
        let request = TestRequest(characterName: "Armand", characteristic: .init(name: "Agilité", value: 3))
        #expect(try deck.test(request, using: &rng).total == 4)
        deck.valueTable = .classic
        let result = try deck.test(request, using: &rng)
        #expect(result.total == 17 && result.valueTableName == "classic")
        #expect(deck.discardPile == [Card(.ace, of: .hearts), Card(.ace, of: .clubs)])
    }

    @Test func theSameSeedGivesTheSameOrder() {
        func shuffled(_ seed: UInt64) -> [Card] {
            var rng = SplitMix64(seed: seed)
            var deck = Deck(figure: .spades)
            deck.shuffle(using: &rng)
            return deck.drawPile
        }
        #expect(shuffled(42) == shuffled(42))
        #expect(shuffled(42) != shuffled(43))
        #expect(shuffled(42) != Deck.baseCards)
    }

    @Test func productionShufflesWithTheSystemGenerator() {
        var rng = SystemRandomNumberGenerator()
        var deck = Deck(figure: .spades)
        deck.shuffle(using: &rng)
        #expect(Set(deck.drawPile) == Set(Deck.baseCards))
    }

    @Test func fisherYatesHandlesTinyArrays() {
        var rng = SplitMix64(seed: 0)
        var empty: [Int] = []
        Deck.fisherYates(&empty, using: &rng)
        #expect(empty.isEmpty)
        var one = [7]
        Deck.fisherYates(&one, using: &rng)
        #expect(one == [7])
        var many = Array(0..<100)
        Deck.fisherYates(&many, using: &rng)
        #expect(many.sorted() == Array(0..<100))
    }

    @Test func theSeededGeneratorIsSplitMix64() {
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
    }
}

@Suite struct DeckPotTests {
    @Test func thePotAddsThreeExtraFiguresOfTheCharactersSuit() throws {
        var rng = SplitMix64(seed: 5)
        var deck = Deck(figure: .hearts)
        try deck.addPot(using: &rng)
        #expect(deck.hasPot)
        #expect(deck.count == 55)
        #expect(Set(deck.drawPile) == Set(Deck.baseCards + Deck.potCards(of: .hearts)))
        #expect(deck.drawPile.filter { $0.rank == .king && $0.suit == .hearts }.count == 2)
        #expect(deck.drawPile.filter { $0.rank == .king && $0.suit == .spades }.count == 1)
        // The other cards keep their order: the pot slips in, it does not reshuffle.
        #expect(deck.drawPile.filter { $0.origin == .base } == Deck.baseCards)
        #expect(throws: DeckError.potAlreadyInDeck) { try deck.addPot(using: &rng) }
    }

    @Test func aPotCardDrawnGoesToTheDiscardLikeAnyOther() throws {
        let potKing = Card(.king, of: .spades, origin: .pot)
        var deck = try Deck.stacked([potKing])
        var rng = SplitMix64(seed: 0)
        #expect(deck.draw(using: &rng).first == potKing)
        #expect(deck.discardPile == [potKing])
        #expect(!deck.drawPile.contains(potKing))
        #expect(deck.hasPot)
    }

    @Test func removingThePotTakesItsCardsFromBothPiles() throws {
        let potKing = Card(.king, of: .spades, origin: .pot)
        let potQueen = Card(.queen, of: .spades, origin: .pot)
        var deck = try Deck.stacked([potKing, sevenOfSpades, potQueen], discard: [Card(.two, of: .clubs)])
        var rng = SplitMix64(seed: 0)
        _ = deck.draw(.advantage, using: &rng)
        #expect(deck.discardPile.contains(potKing))
        #expect(deck.drawPile.contains(potQueen))
        try deck.removePot()
        #expect(!deck.hasPot)
        #expect(deck.count == 52)
        #expect(!(deck.drawPile + deck.discardPile).contains { $0.origin == .pot })
        #expect(deck.discardPile == [Card(.two, of: .clubs), sevenOfSpades])
        #expect(Set(deck.drawPile + deck.discardPile) == Set(Deck.baseCards))
        #expect(throws: DeckError.noPotInDeck) { try deck.removePot() }
    }

    @Test func potFiguresAreWorthWhatTheTableSays() throws {
        let potQueen = Card(.queen, of: .diamonds, origin: .pot)
        var current = try Deck.stacked([potQueen], figure: .diamonds)
        var classic = try Deck.stacked([potQueen], figure: .diamonds, table: .classic)
        var rng = SplitMix64(seed: 0)
        let request = TestRequest(characterName: "Lucie", characteristic: .init(name: "Esprit", value: 2))
        #expect(try current.test(request, using: &rng).total == 12)
        #expect(try classic.test(request, using: &rng).total == 14)
    }
}

@Suite struct DeckJokerTests {
    @Test func theItemAddsOneJoker() throws {
        var rng = SplitMix64(seed: 9)
        var deck = Deck(figure: .clubs)
        try deck.addJoker(using: &rng)
        #expect(deck.hasJoker)
        #expect(deck.drawPile.count == 53)
        #expect(deck.drawPile.filter(\.isJoker).count == 1)
        #expect(deck.drawPile.filter { !$0.isJoker } == Deck.baseCards)
        #expect(throws: DeckError.jokerAlreadyInDeck) { try deck.addJoker(using: &rng) }
        try deck.removeJoker()
        #expect(!deck.hasJoker && deck.drawPile == Deck.baseCards)
        #expect(throws: DeckError.noJokerInDeck) { try deck.removeJoker() }
    }

    @Test func theJokerIsNeverUsedUp() throws {
        var deck = try Deck.stacked([.joker, sevenOfSpades], joker: true)
        var rng = SplitMix64(seed: 21)
        #expect(deck.draw(using: &rng).first == .joker)
        #expect(deck.hasJoker)
        #expect(deck.discardPile.isEmpty)
        #expect(deck.drawPile.count == 53)
        // Many passes later it is still there, never in the discard, and it does come up.
        var jokers = 1
        for _ in 0..<500 {
            if deck.draw(using: &rng).first.isJoker { jokers += 1 }
            #expect(deck.hasJoker && !deck.discardPile.contains(.joker))
        }
        #expect(jokers > 1)
    }

    @Test func bothCardsOfOneDrawAreDifferentEvenWithTheJoker() throws {
        var deck = try Deck.stacked([.joker, kingOfHearts], joker: true)
        var rng = SplitMix64(seed: 2)
        let draw = deck.draw(.advantage, using: &rng)
        #expect(draw.cards == [.joker, kingOfHearts])
        #expect(deck.discardPile == [kingOfHearts])
        #expect(deck.drawPile.count == 52 && deck.hasJoker)
    }

    /// Back into the draw pile at a uniformly random place: over 5,300 draws of a joker from the top
    /// of a full deck, each of the 53 places it can return to is taken about 100 times.
    /// χ²₀.₉₉₉(52) = 89.272 (scipy.stats.chi2.ppf(0.999, 52)).
    @Test func theJokerGoesBackAnywhereWithTheSameChance() throws {
        let start = try Deck.stacked([.joker], joker: true)
        var rng = SplitMix64(seed: 53)
        var counts = Array(repeating: 0, count: 53)
        for _ in 0..<5_300 {
            var deck = start
            #expect(deck.draw(using: &rng).first == .joker)
            counts[deck.drawPile.firstIndex(of: .joker)!] += 1
        }
        #expect(DeckFairnessTests.chiSquare(counts) < 89.272, "χ² = \(DeckFairnessTests.chiSquare(counts))")
        // The same statistic would see a joker always put back on top, or at the bottom.
        #expect(DeckFairnessTests.chiSquare([5_300] + Array(repeating: 0, count: 52)) > 89.272)
    }

    /// A pile holding only the joker counts as exhausted, or it would hand out jokers forever.
    @Test func aPileWithOnlyTheJokerIsExhausted() throws {
        var deck = try Deck(figure: .spades, drawPile: [.joker], discardPile: Deck.baseCards)
        var rng = SplitMix64(seed: 4)
        let draw = deck.draw(using: &rng)
        #expect(draw.reshuffled)
        #expect(deck.count == 53 && deck.hasJoker)
    }

    @Test func shufflingKeepsTheJoker() throws {
        var rng = SplitMix64(seed: 8)
        var deck = Deck(figure: .spades)
        try deck.addJoker(using: &rng)
        try deck.addPot(using: &rng)
        for _ in 0..<20 { _ = deck.draw(using: &rng) }
        deck.shuffle(using: &rng)
        #expect(deck.drawPile.count == 56 && deck.discardPile.isEmpty)
        #expect(deck.hasJoker && deck.hasPot)
    }
}

@Suite struct DeckStorageTests {
    @Test func aDeckSurvivesARoundTrip() throws {
        var rng = SplitMix64(seed: 99)
        var deck = Deck(figure: .diamonds, valueTable: .classic)
        try deck.addPot(using: &rng)
        try deck.addJoker(using: &rng)
        deck.shuffle(using: &rng)
        for _ in 0..<17 { _ = deck.draw(using: &rng) }
        let data = try JSONEncoder().encode(deck)
        var decoded = try JSONDecoder().decode(Deck.self, from: data)
        #expect(decoded == deck)
        #expect(decoded.drawPile == deck.drawPile && decoded.discardPile == deck.discardPile)
        #expect(decoded.figure == .diamonds && decoded.valueTable == .classic)
        #expect(decoded.hasPot && decoded.hasJoker)
        // The stored deck plays on exactly as the original would.
        var a = SplitMix64(seed: 1)
        var b = SplitMix64(seed: 1)
        for _ in 0..<60 { #expect(deck.draw(.advantage, using: &a) == decoded.draw(.advantage, using: &b)) }
    }

    @Test func theRowSaysWhatItHolds() throws {
        var rng = SplitMix64(seed: 0)
        var deck = Deck(figure: .hearts)
        try deck.addPot(using: &rng)
        let object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(deck)) as? [String: Any])
        #expect(object["version"] as? Int == 1)
        #expect(object["figure"] as? String == "hearts")
        #expect(object["hasPot"] as? Bool == true)
        #expect(object["hasJoker"] as? Bool == false)
        #expect((object["valueTable"] as? [String: Any])?["name"] as? String == "current")
        #expect((object["drawPile"] as? [Any])?.count == 55)
        #expect((object["discardPile"] as? [Any])?.count == 0)
    }

    /// Edits one field of a stored fresh deck and reads it back.
    func decode(editing edit: (inout [String: Any]) -> Void) throws -> Deck {
        var object = try #require(
            JSONSerialization.jsonObject(with: JSONEncoder().encode(Deck(figure: .spades))) as? [String: Any])
        edit(&object)
        return try JSONDecoder().decode(Deck.self, from: JSONSerialization.data(withJSONObject: object))
    }

    @Test func aConsistentEditIsAccepted() throws {
        let deck = try decode { object in
            var pile = object["drawPile"] as! [Any]
            object["discardPile"] = [pile.removeFirst()]
            object["drawPile"] = pile
        }
        #expect(deck.discardPile == [Card(.ace, of: .spades)])
    }

    @Test func inconsistentRowsAreRefused() {
        #expect(throws: DecodingError.self) { try decode { $0["version"] = 2 } }
        #expect(throws: DecodingError.self) { try decode { $0["hasPot"] = true } }
        #expect(throws: DecodingError.self) { try decode { $0["hasJoker"] = true } }
        #expect(throws: DecodingError.self) {
            try decode { $0["drawPile"] = Array(($0["drawPile"] as! [Any]).dropFirst()) }
        }
        #expect(throws: DecodingError.self) { try decode { $0["discardPile"] = [($0["drawPile"] as! [Any])[0]] } }
    }

    @Test func theStateInitialiserSaysWhatIsWrong() {
        let base = Deck.baseCards
        #expect(throws: DeckError.missingCard(Card(.ace, of: .spades))) {
            try Deck(figure: .spades, drawPile: Array(base.dropFirst()))
        }
        #expect(throws: DeckError.duplicateCard(sevenOfSpades)) {
            try Deck(figure: .spades, drawPile: base, discardPile: [sevenOfSpades])
        }
        let heartsPotJack = Card(.jack, of: .hearts, origin: .pot)
        #expect(throws: DeckError.foreignCard(heartsPotJack)) {
            try Deck(figure: .spades, drawPile: base + Deck.potCards(of: .hearts))
        }
        #expect(throws: DeckError.foreignCard(Card(.seven, of: .spades, origin: .pot))) {
            try Deck(figure: .spades, drawPile: base + [Card(.seven, of: .spades, origin: .pot)])
        }
        #expect(throws: DeckError.incompletePot) {
            try Deck(figure: .spades, drawPile: base + [Card(.king, of: .spades, origin: .pot)])
        }
        #expect(throws: DeckError.jokerInDiscard) {
            try Deck(figure: .spades, drawPile: base, discardPile: [.joker])
        }
    }

    @Test func deckErrorsSpeakFrench() {
        #expect(DeckError.potAlreadyInDeck.reason == "Le pot est déjà dans le paquet.")
        #expect(
            DeckError.foreignCard(Card(.seven, of: .hearts, origin: .pot)).reason
                == "La carte « 7 de cœur » (pot) n'a pas sa place dans ce paquet.")
        #expect(DeckError.missingCard(Card(.queen, of: .hearts)).reason.contains("« Dame de cœur »"))
        #expect(DeckError.jokerInDiscard.reason == "Le joker ne va jamais à la défausse.")
    }
}
