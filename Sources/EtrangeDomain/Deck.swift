/// What one draw turned over: one card, or two for advantage and disadvantage, in the order they
/// were turned over (the order breaks ties).
public struct Draw: Hashable, Sendable, Codable {
    public let first: Card
    public let second: Card?
    /// Only draws made before decks were drawn with replacement can say true: the old 52-card
    /// decks reshuffled their discard, and their stored draws still read.
    public let reshuffled: Bool

    public init(first: Card, second: Card? = nil, reshuffled: Bool = false) {
        self.first = first
        self.second = second
        self.reshuffled = reshuffled
    }

    public var cards: [Card] { [first] + (second.map { [$0] } ?? []) }
}

/// One row of a character's deck: some ranks of one suit. A deck is a list of rows so that the MJ
/// can add cards over a campaign without a special case (a second row, or a rank more in a row).
public struct DeckRow: Hashable, Sendable, Codable {
    public var suit: Suit
    public var ranks: [Rank]

    public init(suit: Suit, ranks: [Rank]) {
        self.suit = suit
        self.ranks = ranks
    }

    /// What a new character gets: A to 10 of its suit, the figures being the pot's.
    public static func newCharacter(_ suit: Suit) -> DeckRow {
        DeckRow(suit: suit, ranks: Rank.allCases.filter { !Rank.figures.contains($0) })
    }
}

/// Where one of the pot's figures is.
public enum PotPlace: String, Hashable, Sendable, Codable, CaseIterable {
    /// In the pot, outside the deck: where every figure starts and goes back at a reset.
    case pot
    /// Added to the deck, drawable.
    case deck
    /// Drawn: out of the deck and face up until the pot is reset.
    case spent

    public var label: String {
        switch self {
        case .pot: "dans le pot"
        case .deck: "dans le paquet"
        case .spent: "dépensée"
        }
    }
}

/// The Valet, the Dame and the Roi of the character's suit, each in one place.
public struct Pot: Hashable, Sendable, Codable {
    public private(set) var places: [Rank: PotPlace]

    public init(jack: PotPlace = .pot, queen: PotPlace = .pot, king: PotPlace = .pot) {
        places = [.jack: jack, .queen: queen, .king: king]
    }

    public func place(of figure: Rank) -> PotPlace { places[figure] ?? .pot }

    /// In J, Q, K order, so the deck's cards come in a stable order.
    public var inDeck: [Rank] { Rank.figures.filter { place(of: $0) == .deck } }

    /// One figure at a time, and only from the pot: a spent figure waits for the reset.
    public mutating func add(_ figure: Rank) throws(DeckError) {
        guard Rank.figures.contains(figure) else { throw .notAFigure(figure) }
        switch place(of: figure) {
        case .pot: places[figure] = .deck
        case .deck: throw .figureAlreadyInDeck(figure)
        case .spent: throw .figureSpent(figure)
        }
    }

    mutating func spend(_ figure: Rank) { places[figure] = .spent }

    public mutating func reset() { self = Pot() }
}

public enum DeckError: Error, Hashable, Sendable {
    case notAFigure(Rank)
    case figureAlreadyInDeck(Rank)
    case figureSpent(Rank)
    case emptyDeck
    /// Advantage and disadvantage need two different cards.
    case tooFewCards
    case influenceNotAFigure(Rank)

    public var reason: String {
        switch self {
        case .notAFigure(let rank): "Le pot ne contient que le Valet, la Dame et le Roi (pas « \(rank.label) »)."
        case .figureAlreadyInDeck(let rank): "\(rank.capitalizedWithArticle) du pot est déjà dans le paquet."
        case .figureSpent(let rank):
            "\(rank.capitalizedWithArticle) du pot est dépensé\(rank == .queen ? "e" : "") : remettez le pot à zéro."
        case .emptyDeck: "Le paquet de ce personnage n'a aucune carte."
        case .tooFewCards: "L'avantage et le désavantage tirent deux cartes différentes : le paquet n'en a qu'une."
        case .influenceNotAFigure(let rank):
            "L'influence sociale ajoute une figure (Valet, Dame ou Roi), pas « \(rank.label) »."
        }
    }
}

/// A character's deck as the Étrange France app deals it: its rows, the pot's figures added to it,
/// the special item's joker. Drawing is with replacement: nothing but a pot figure ever leaves.
public struct CharacterDeck: Hashable, Sendable {
    /// The character's suit: the pot's figures are of this suit.
    public var suit: Suit
    public var rows: [DeckRow]
    public var pot: Pot
    /// The character holds the special item: its joker is one more card, never spent.
    public var joker: Bool

    public init(suit: Suit, rows: [DeckRow]? = nil, pot: Pot = Pot(), joker: Bool = false) {
        self.suit = suit
        self.rows = rows ?? [.newCharacter(suit)]
        self.pot = pot
        self.joker = joker
    }

    /// The MJ draws without a character: the four suits, A to K, nothing added or spent.
    public static let gameMaster = CharacterDeck(
        suit: .spades, rows: Suit.allCases.map { DeckRow(suit: $0, ranks: Rank.allCases) })

    /// Every card a draw can turn over now, each once: the rows in order, then the pot's figures
    /// in the deck, then the joker.
    public var cards: [Card] {
        rows.flatMap { row in row.ranks.map { Card($0, of: row.suit) } }
            + pot.inDeck.map { Card($0, of: suit, origin: .pot) }
            + (joker ? [.joker] : [])
    }

    /// One card uniformly among `cards` (plus the influence figure, for this draw only), or two
    /// different ones for advantage and disadvantage. A pot figure turned over is spent, even the
    /// card set aside: the app spends every pot card it turns over.
    public mutating func draw(
        _ mode: DrawMode = .classic, influence: Rank? = nil, using generator: inout some RandomNumberGenerator
    ) throws(DeckError) -> Draw {
        var candidates = cards
        if let influence {
            guard Rank.figures.contains(influence) else { throw .influenceNotAFigure(influence) }
            candidates.append(Card(influence, of: suit, origin: .influence))
        }
        guard !candidates.isEmpty else { throw .emptyDeck }
        guard candidates.count >= mode.cardCount else { throw .tooFewCards }
        let firstIndex = Int.random(in: candidates.indices, using: &generator)
        var draw = Draw(first: candidates[firstIndex])
        if mode.cardCount == 2 {
            // A uniform pick among the others: the index after the first is skipped, not redrawn.
            var secondIndex = Int.random(in: 0..<(candidates.count - 1), using: &generator)
            if secondIndex >= firstIndex { secondIndex += 1 }
            draw = Draw(first: draw.first, second: candidates[secondIndex])
        }
        for card in draw.cards where card.origin == .pot { pot.spend(card.rank!) }
        return draw
    }
}

extension Rank {
    /// « Le Valet », « La Dame », « Le Roi », at the start of a sentence.
    var capitalizedWithArticle: String {
        switch self {
        case .ace: "L'As"
        case .queen: "La Dame"
        default: "Le \(label)"
        }
    }
}
