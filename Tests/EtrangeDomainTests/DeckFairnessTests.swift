import EtrangeDomain
import Testing

/// Is a draw uniform over the deck's current cards? Count which card comes out over many draws
/// and compare with the uniform expectation by Pearson's chi-square.
///
/// The seed is fixed, so the verdict is the same on every run, and α = 0.001. Critical values
/// χ²₀.₉₉₉(df) from scipy.stats.chi2.ppf(0.999, df): df 9 → 27.877, df 12 → 32.909,
/// df 13 → 34.528. 13,000 draws give 1,000 expected per card for the 13-card deck.
@Suite struct DeckFairnessTests {
    static let draws = 13_000
    static let critical: [Int: Double] = [9: 27.877, 12: 32.909, 13: 34.528]

    static func chiSquare(_ counts: [Int]) -> Double {
        let expected = Double(counts.reduce(0, +)) / Double(counts.count)
        return counts.reduce(0) { sum, observed in
            let gap = Double(observed) - expected
            return sum + gap * gap / expected
        }
    }

    /// How often each card of the deck's current cards is the first turned over. Pot figures are
    /// put back after each draw so the deck is the same for every draw.
    static func counts(_ deck: CharacterDeck, seed: UInt64) throws -> [Int] {
        var rng = SplitMix64(seed: seed)
        let cards = deck.cards
        var counts = Array(repeating: 0, count: cards.count)
        for _ in 0..<draws {
            var copy = deck
            let card = try copy.draw(using: &rng).first
            counts[cards.firstIndex(of: card)!] += 1
        }
        return counts
    }

    @Test func uniformOverANewDeck() throws {
        let counts = try Self.counts(CharacterDeck(suit: .hearts), seed: 0xE7_4A4E)
        let statistic = Self.chiSquare(counts)
        #expect(counts.count == 10)
        #expect(statistic < Self.critical[9]!, "χ² = \(statistic)")
    }

    /// The three pot figures are 3 of 13 cards: each comes out 1/13 of the time, like an Ace.
    @Test func uniformWithThePotFigures() throws {
        var deck = CharacterDeck(suit: .spades)
        for figure in Rank.figures { try deck.pot.add(figure) }
        let counts = try Self.counts(deck, seed: 0xE7_4A4F)
        let statistic = Self.chiSquare(counts)
        #expect(counts.count == 13)
        #expect(statistic < Self.critical[12]!, "χ² = \(statistic)")
    }

    /// The second card of an advantage is uniform over the other cards: the pair (first, second)
    /// is checked through the second card alone over 13 cards, with the joker in.
    @Test func theSecondCardIsUniformToo() throws {
        var rng = SplitMix64(seed: 0xE7_4A50)
        var deck = CharacterDeck(suit: .clubs, joker: true)
        try deck.pot.add(.jack)
        try deck.pot.add(.king)
        let cards = deck.cards
        var counts = Array(repeating: 0, count: cards.count)
        for _ in 0..<Self.draws {
            var copy = deck
            counts[cards.firstIndex(of: try copy.draw(.advantage, using: &rng).second!)!] += 1
        }
        #expect(Self.chiSquare(counts) < Self.critical[12]!, "χ² = \(Self.chiSquare(counts))")
    }

    /// The statistic does catch a biased draw: one favouring the first card by a few percent.
    @Test func theStatisticCatchesABias() {
        var rng = SplitMix64(seed: 9)
        var counts = Array(repeating: 0, count: 10)
        for _ in 0..<Self.draws {
            let index = Int.random(in: 0..<100, using: &rng) < 4 ? 0 : Int.random(in: 0..<10, using: &rng)
            counts[index] += 1
        }
        #expect(Self.chiSquare(counts) > Self.critical[9]!)
    }
}
