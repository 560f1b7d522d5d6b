import EtrangeDomain
import Foundation
import Testing

let sevenOfSpades = Card(.seven, of: .spades)
let kingOfHearts = Card(.king, of: .hearts)

/// Decks drawn with a seeded generator, checked for what must hold whatever the cards; exact cards
/// are pinned in `CardTestResolutionTests` on draws built by hand.
@Suite struct DeckTests {
    @Test func aNewCharactersDeckIsItsSuitsAceToTen() {
        let deck = CharacterDeck(suit: .hearts)
        #expect(
            deck.rows == [
                DeckRow(suit: .hearts, ranks: [.ace, .two, .three, .four, .five, .six, .seven, .eight, .nine, .ten])
            ])
        #expect(deck.cards.count == 10)
        #expect(deck.cards.allSatisfy { $0.suit == .hearts && $0.origin == .base })
        #expect(!deck.cards.contains { $0.rank.map(Rank.figures.contains) == true })
    }

    @Test func theDeckIsBuiltFromItsRows() {
        let rows = [DeckRow(suit: .clubs, ranks: [.ace, .seven]), DeckRow(suit: .spades, ranks: [.king, .seven])]
        let deck = CharacterDeck(suit: .clubs, rows: rows, pot: Pot(queen: .deck, king: .spent), joker: true)
        #expect(
            deck.cards == [
                Card(.ace, of: .clubs), Card(.seven, of: .clubs), Card(.king, of: .spades), sevenOfSpades,
                Card(.queen, of: .clubs, origin: .pot), .joker,
            ])
    }

    /// Drawing is with replacement: a thousand draws later the base cards are all still there.
    @Test func baseCardsNeverLeaveTheDeck() throws {
        var rng = SplitMix64(seed: 7)
        var deck = CharacterDeck(suit: .diamonds, joker: true)
        let before = deck
        for mode in [DrawMode.classic, .advantage, .disadvantage] {
            for _ in 0..<300 { _ = try deck.draw(mode, using: &rng) }
        }
        #expect(deck == before)
    }

    @Test func aPotFigureIsSpentWhenDrawnAndBackAfterReset() throws {
        var rng = SplitMix64(seed: 3)
        var deck = CharacterDeck(suit: .spades, rows: [DeckRow(suit: .spades, ranks: [.ace])])
        try deck.pot.add(.queen)
        #expect(deck.cards.contains(Card(.queen, of: .spades, origin: .pot)))
        var draws = 0
        while deck.pot.place(of: .queen) == .deck {
            let draw = try deck.draw(using: &rng)
            draws += 1
            #expect(draw.first == Card(.ace, of: .spades) || deck.pot.place(of: .queen) == .spent)
        }
        #expect(deck.pot.place(of: .queen) == .spent && draws < 50)
        #expect(deck.cards == [Card(.ace, of: .spades)])
        #expect(throws: DeckError.figureSpent(.queen)) { try deck.pot.add(.queen) }
        #expect(DeckError.figureSpent(.queen).reason == "La Dame du pot est dépensée : remettez le pot à zéro.")
        deck.pot.reset()
        #expect(deck.pot == Pot())
        #expect(Rank.figures.allSatisfy { deck.pot.place(of: $0) == .pot })
        #expect(deck.cards == [Card(.ace, of: .spades)])
    }

    @Test func thePotTakesOneFigureAtATime() throws {
        var pot = Pot()
        try pot.add(.king)
        #expect(pot.inDeck == [.king])
        #expect(throws: DeckError.figureAlreadyInDeck(.king)) { try pot.add(.king) }
        #expect(throws: DeckError.notAFigure(.seven)) { try pot.add(.seven) }
        try pot.add(.jack)
        #expect(pot.inDeck == [.jack, .king])
    }

    /// Both cards an advantage turns over are spent when they are pot figures, as in the app.
    @Test func advantageSpendsBothPotFiguresItTurnsOver() throws {
        var rng = SplitMix64(seed: 1)
        var deck = CharacterDeck(suit: .hearts, rows: [], pot: Pot(jack: .deck, queen: .deck))
        let draw = try deck.draw(.advantage, using: &rng)
        #expect(Set(draw.cards) == [Card(.jack, of: .hearts, origin: .pot), Card(.queen, of: .hearts, origin: .pot)])
        #expect(deck.pot == Pot(jack: .spent, queen: .spent))
        #expect(throws: DeckError.emptyDeck) { try deck.draw(using: &rng) }
    }

    @Test func theJokerIsNeverSpent() throws {
        var rng = SplitMix64(seed: 5)
        var deck = CharacterDeck(suit: .clubs, rows: [], joker: true)
        for _ in 0..<20 {
            #expect(try deck.draw(using: &rng).first == .joker)
        }
        #expect(deck.joker && deck.cards == [.joker])
    }

    @Test func advantageDrawsTwoDifferentCards() throws {
        var rng = SplitMix64(seed: 11)
        var deck = CharacterDeck(suit: .spades, rows: [DeckRow(suit: .spades, ranks: [.ace, .two])])
        for _ in 0..<200 {
            let draw = try deck.draw(.disadvantage, using: &rng)
            #expect(draw.second != nil && draw.first != draw.second)
        }
        var single = CharacterDeck(suit: .spades, rows: [DeckRow(suit: .spades, ranks: [.ace])])
        #expect(throws: DeckError.tooFewCards) { try single.draw(.advantage, using: &rng) }
    }

    /// Social influence: the chosen figure joins this draw only, of the character's suit.
    @Test func socialInfluenceJoinsOneDrawOnly() throws {
        var rng = SplitMix64(seed: 2)
        var deck = CharacterDeck(suit: .diamonds, rows: [])
        let draw = try deck.draw(influence: .queen, using: &rng)
        #expect(draw.first == Card(.queen, of: .diamonds, origin: .influence))
        #expect(deck.cards.isEmpty && deck.pot == Pot())
        #expect(throws: DeckError.influenceNotAFigure(.five)) { try deck.draw(influence: .five, using: &rng) }
    }

    @Test func deckStateIsStoredReadably() throws {
        let rows = [DeckRow.newCharacter(.hearts)]
        let json = String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)
        #expect(json.contains(#""suit":"hearts""#) && json.contains(#""ranks":["A","2""#))
        #expect(try JSONDecoder().decode([DeckRow].self, from: Data(json.utf8)) == rows)
    }
}
