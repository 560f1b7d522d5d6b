import EtrangeDomain
import Testing

/// Is the shuffle fair? For a few positions of the deck, count which of the 52 cards lands there
/// over many shuffles of a fresh deck, and compare those counts with the uniform 1/52 by
/// Pearson's chi-square.
///
/// 10,000 shuffles give about 192 expected per cell, far above the 5 the test needs, and keep each
/// test under half a second in a debug build (`Int.random` is unspecialised there and
/// costs most of the time). With 52 cells and a fully specified expectation there are 51 degrees
/// of freedom; at α = 0.001 the critical value is χ²₀.₉₉₉(51) = 87.968 (scipy.stats.chi2.ppf(0.999, 51)
/// = 87.96798; tables give 86.661 for df 50 and 89.272 for df 52; the 90.573 sometimes quoted is
/// df 53). The seed is fixed, so the verdict is the same on every run; the biased shuffles below
/// show the same statistic does catch a bad shuffle.
@Suite struct DeckFairnessTests {
    static let shuffles = 10_000
    static let cards = 52
    static let criticalValue = 87.968
    /// First, second, two in the middle, last: errors in a shuffle tend to show at the ends.
    static let positions = [0, 1, 17, 34, 51]

    /// Pearson's statistic against a uniform expectation.
    static func chiSquare(_ counts: [Int]) -> Double {
        let expected = Double(counts.reduce(0, +)) / Double(counts.count)
        return counts.reduce(0) { sum, observed in
            let gap = Double(observed) - expected
            return sum + gap * gap / expected
        }
    }

    /// counts[p][c]: how many times card c (its place in a fresh deck) ended at position p, for the
    /// checked positions. Every shuffle starts from a fresh deck: reshuffling the previous result
    /// would hide a biased shuffle, whose repeated application drifts towards uniform.
    static func positionCounts(_ shuffle: (inout [Int]) -> Void) -> [[Int]] {
        var counts = Array(repeating: Array(repeating: 0, count: cards), count: cards)
        let fresh = Array(0..<cards)
        for _ in 0..<shuffles {
            var items = fresh
            shuffle(&items)
            for position in positions { counts[position][items[position]] += 1 }
        }
        return counts
    }

    /// The deck's own algorithm, computed once and shared by the two tests below. Cards are
    /// numbered by their place in a fresh deck; `deckShufflesWithFisherYates` shows that
    /// `Deck.shuffle` is exactly this on its cards.
    static let fisherYatesCounts: [[Int]] = {
        var rng = SplitMix64(seed: 0x00E7_4A4E_6E00)
        return positionCounts { Deck.fisherYates(&$0, using: &rng) }
    }()

    @Test func theShuffleIsUniformAtEveryCheckedPosition() {
        for position in Self.positions {
            let statistic = Self.chiSquare(Self.fisherYatesCounts[position])
            #expect(statistic < Self.criticalValue, "position \(position): χ² = \(statistic)")
        }
    }

    /// The first card is the one a test turns over: every card must be equally likely there.
    @Test func theFirstCardIsUniform() {
        let counts = Self.fisherYatesCounts[0]
        #expect(counts.reduce(0, +) == Self.shuffles)
        #expect(counts.allSatisfy { $0 > 0 })
        #expect(Self.chiSquare(counts) < Self.criticalValue, "χ² = \(Self.chiSquare(counts))")
    }

    /// What the statistics above say of `Deck.fisherYates` holds for `Deck.shuffle`: same
    /// generator, same order, discard included.
    @Test(arguments: [0, 1, 2, 3] as [UInt64])
    func deckShufflesWithFisherYates(seed: UInt64) throws {
        let discard = Array(Deck.baseCards.suffix(20))
        var deck = try Deck(figure: .spades, drawPile: Array(Deck.baseCards.prefix(32)), discardPile: discard)
        var expected = deck.drawPile + deck.discardPile
        var a = SplitMix64(seed: seed)
        var b = SplitMix64(seed: seed)
        deck.shuffle(using: &a)
        Deck.fisherYates(&expected, using: &b)
        #expect(deck.drawPile == expected)
    }

    /// The classic mistake: swapping each place with any place of the whole deck. Its 52^52 paths
    /// cannot spread evenly over the 52! orders. Worked out exactly, the bias is strongest at the
    /// top (card 0 lands first with probability ≈ 1.35/52): at 10,000 shuffles the expected excess of
    /// the statistic is about 311 at position 0 and 287 at position 1, far past the critical value.
    /// The last position would not show it (the last swap puts a uniformly chosen card there),
    /// which is why several positions are looked at.
    @Test func aNaiveShuffleIsCaught() {
        var rng = SplitMix64(seed: 0x00E7_4A4E_6E00)
        let counts = Self.positionCounts { items in
            for i in items.indices { items.swapAt(i, Int.random(in: 0..<items.count, using: &rng)) }
        }
        for position in [0, 1] {
            let statistic = Self.chiSquare(counts[position])
            #expect(statistic > Self.criticalValue, "position \(position): χ² = \(statistic)")
        }
    }

    /// Off by one (Sattolo's algorithm, j < i): only cyclic orders, so no card ever stays in place.
    @Test func anOffByOneShuffleIsCaught() {
        var rng = SplitMix64(seed: 1)
        let counts = Self.positionCounts { items in
            for i in stride(from: items.count - 1, through: 1, by: -1) {
                items.swapAt(i, Int.random(in: 0..<i, using: &rng))
            }
        }
        for position in Self.positions {
            #expect(counts[position][position] == 0)
            #expect(Self.chiSquare(counts[position]) > Self.criticalValue)
        }
    }

    @Test func noShuffleAtAllIsCaught() {
        let counts = Self.positionCounts { _ in }
        for position in Self.positions {
            #expect(Self.chiSquare(counts[position]) > Self.criticalValue)
        }
    }
}
