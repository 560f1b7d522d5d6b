/// What one draw took from a deck: one card, or two for advantage and disadvantage, in the order
/// they were turned over (the order breaks ties).
public struct Draw: Hashable, Sendable, Codable {
    public let first: Card
    public let second: Card?
    /// The draw pile ran out during this draw and the discard was shuffled back in: the chat says so.
    public let reshuffled: Bool

    public init(first: Card, second: Card? = nil, reshuffled: Bool = false) {
        self.first = first
        self.second = second
        self.reshuffled = reshuffled
    }

    public var cards: [Card] { [first] + (second.map { [$0] } ?? []) }
}

/// A deck operation or a stored deck that does not make sense, with a reason a person can read.
public enum DeckError: Error, Hashable, Sendable {
    case potAlreadyInDeck
    case noPotInDeck
    case jokerAlreadyInDeck
    case noJokerInDeck
    /// A base card that is in neither pile.
    case missingCard(Card)
    case duplicateCard(Card)
    /// A card this deck cannot hold: a pot figure of another suit, a regular card from the item…
    case foreignCard(Card)
    /// Some of the pot's figures but not all: the pot comes and goes as a whole.
    case incompletePot
    /// The joker is never used up, so it can never lie in the discard.
    case jokerInDiscard

    public var reason: String {
        switch self {
        case .potAlreadyInDeck: "Le pot est déjà dans le paquet."
        case .noPotInDeck: "Il n'y a pas de pot dans le paquet."
        case .jokerAlreadyInDeck: "Le joker est déjà dans le paquet."
        case .noJokerInDeck: "Il n'y a pas de joker dans le paquet."
        case .missingCard(let card): "Il manque une carte au paquet : « \(card.label) »."
        case .duplicateCard(let card): "La carte « \(card.label) » apparaît deux fois dans le paquet."
        case .foreignCard(let card):
            "La carte « \(card.label) » (\(card.origin.label)) n'a pas sa place dans ce paquet."
        case .incompletePot: "Le pot est incomplet : il contient le Valet, la Dame et le Roi de la figure, ou rien."
        case .jokerInDiscard: "Le joker ne va jamais à la défausse."
        }
    }
}

/// A character's own deck: the 52 base cards, plus optionally the pot (extra J, Q, K of the
/// character's suit) and the item's joker.
///
/// Rules that are choices, not obvious:
/// - Cards drawn go to the discard once the draw is over, and come back only at a shuffle.
/// - When the draw pile holds no card that can be used up (it is empty, or holds only the
///   joker), the next draw first shuffles the discard back in, and reports `reshuffled`.
///   A second card drawn for advantage can trigger this: the first card, still in the
///   player's hand, is not shuffled back, so a test never shows the same card twice.
/// - The joker is never used up: once the draw is over it goes back into the draw pile at a
///   uniformly random place, so each draw finds it with the same chance as any card left.
/// - The pot and the joker enter the draw pile at random places, leaving the order of the
///   other cards alone; they never go straight to the discard.
public struct Deck: Hashable, Sendable {
    /// The character's suit; the pot adds its figures.
    public let figure: Suit
    public var valueTable: CardValueTable
    /// The next card drawn is the first.
    public private(set) var drawPile: [Card]
    /// In the order the cards were drawn.
    public private(set) var discardPile: [Card]

    /// Every deck starts from these 52, in new-deck order: pique, cœur, carreau, trèfle, As to Roi.
    public static let baseCards: [Card] = Suit.allCases.flatMap { suit in Rank.allCases.map { Card($0, of: suit) } }

    /// A fresh deck in new-deck order, not shuffled: shuffling needs a generator, so it is the caller's move.
    public init(figure: Suit, valueTable: CardValueTable = .current) {
        self.figure = figure
        self.valueTable = valueTable
        drawPile = Self.baseCards
        discardPile = []
    }

    /// A deck in a given state (a stored deck, or a stacked one for a test). Every base card must be
    /// in exactly one pile; the pot and the joker are present when their cards are.
    public init(
        figure: Suit, valueTable: CardValueTable = .current,
        drawPile: [Card], discardPile: [Card] = []
    ) throws(DeckError) {
        var seen = Set<Card>()
        for card in drawPile + discardPile {
            guard Self.belongs(card, toFigure: figure) else { throw .foreignCard(card) }
            guard seen.insert(card).inserted else { throw .duplicateCard(card) }
        }
        if let missing = Self.baseCards.first(where: { !seen.contains($0) }) { throw .missingCard(missing) }
        let potPresent = Self.potCards(of: figure).filter(seen.contains).count
        guard potPresent == 0 || potPresent == Rank.figures.count else { throw .incompletePot }
        guard !discardPile.contains(.joker) else { throw .jokerInDiscard }
        self.figure = figure
        self.valueTable = valueTable
        self.drawPile = drawPile
        self.discardPile = discardPile
    }

    public static func potCards(of suit: Suit) -> [Card] {
        Rank.figures.map { Card($0, of: suit, origin: .pot) }
    }

    public var potCards: [Card] { Self.potCards(of: figure) }

    private static func belongs(_ card: Card, toFigure figure: Suit) -> Bool {
        switch card.origin {
        case .base: !card.isJoker
        case .pot: card.suit == figure && card.rank.map(Rank.figures.contains) == true
        case .item: card.isJoker
        }
    }

    /// Derived from the piles rather than stored beside them, so the two can never disagree.
    public var hasPot: Bool { (drawPile + discardPile).contains { $0.origin == .pot } }
    public var hasJoker: Bool { drawPile.contains(.joker) }

    /// Cards in play in this deck, in both piles.
    public var count: Int { drawPile.count + discardPile.count }

    // MARK: Shuffling and drawing

    /// Puts the discard back and shuffles everything.
    public mutating func shuffle(using generator: inout some RandomNumberGenerator) {
        drawPile += discardPile
        discardPile = []
        Self.fisherYates(&drawPile, using: &generator)
    }

    /// Fisher–Yates (Durstenfeld): each place, from the last down, takes a card picked uniformly
    /// among those not yet placed, itself included. `Int.random(in:using:)` draws without modulo
    /// bias, so with a fair generator every one of the n! orders is equally likely.
    public static func fisherYates<Element>(_ items: inout [Element], using generator: inout some RandomNumberGenerator)
    {
        guard items.count > 1 else { return }
        for index in stride(from: items.count - 1, through: 1, by: -1) {
            items.swapAt(index, Int.random(in: 0...index, using: &generator))
        }
    }

    /// Draws one card, or two for advantage and disadvantage. Never fails: the 52 base cards can
    /// never leave the deck, so there is always a card to draw once the discard is shuffled back.
    public mutating func draw(_ mode: DrawMode = .classic, using generator: inout some RandomNumberGenerator) -> Draw {
        var reshuffled = false
        var hand: [Card] = []
        for _ in 0..<mode.cardCount {
            if !drawPile.contains(where: { !$0.isJoker }) {
                shuffle(using: &generator)
                reshuffled = true
            }
            hand.append(drawPile.removeFirst())
        }
        discardPile += hand.filter { !$0.isJoker }
        if hand.contains(.joker) { insertAtRandom(.joker, using: &generator) }
        return Draw(first: hand[0], second: hand.count > 1 ? hand[1] : nil, reshuffled: reshuffled)
    }

    private mutating func insertAtRandom(_ card: Card, using generator: inout some RandomNumberGenerator) {
        drawPile.insert(card, at: Int.random(in: 0...drawPile.count, using: &generator))
    }

    // MARK: Pot and joker

    /// Adds the Valet, the Dame and the Roi of the character's suit, as extra cards, to the draw pile.
    public mutating func addPot(using generator: inout some RandomNumberGenerator) throws(DeckError) {
        guard !hasPot else { throw .potAlreadyInDeck }
        for card in potCards { insertAtRandom(card, using: &generator) }
    }

    /// Takes the pot's cards out, wherever they are; the base figures stay.
    public mutating func removePot() throws(DeckError) {
        guard hasPot else { throw .noPotInDeck }
        drawPile.removeAll { $0.origin == .pot }
        discardPile.removeAll { $0.origin == .pot }
    }

    public mutating func addJoker(using generator: inout some RandomNumberGenerator) throws(DeckError) {
        guard !hasJoker else { throw .jokerAlreadyInDeck }
        insertAtRandom(.joker, using: &generator)
    }

    public mutating func removeJoker() throws(DeckError) {
        guard hasJoker else { throw .noJokerInDeck }
        drawPile.removeAll(where: \.isJoker)
    }
}

/// The whole state, for a database row. `hasPot` and `hasJoker` are written for whoever reads the
/// row, and checked against the piles on reading; a deck that breaks a rule is refused with the
/// reason, rather than loaded and found wrong in play.
extension Deck: Codable {
    /// Bumped if the stored shape ever changes, so an old row is recognised rather than misread.
    public static let storageVersion = 1

    private enum CodingKeys: String, CodingKey {
        case version, figure, valueTable, hasPot, hasJoker, drawPile, discardPile
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .version)
        guard version == Self.storageVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container,
                debugDescription: "Version de paquet inconnue : \(version).")
        }
        do {
            try self.init(
                figure: container.decode(Suit.self, forKey: .figure),
                valueTable: container.decode(CardValueTable.self, forKey: .valueTable),
                drawPile: container.decode([Card].self, forKey: .drawPile),
                discardPile: container.decode([Card].self, forKey: .discardPile))
        } catch let error as DeckError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.reason))
        }
        let flags = try (container.decode(Bool.self, forKey: .hasPot), container.decode(Bool.self, forKey: .hasJoker))
        guard flags == (hasPot, hasJoker) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "Les indicateurs du pot et du joker ne correspondent pas aux cartes."))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.storageVersion, forKey: .version)
        try container.encode(figure, forKey: .figure)
        try container.encode(valueTable, forKey: .valueTable)
        try container.encode(hasPot, forKey: .hasPot)
        try container.encode(hasJoker, forKey: .hasJoker)
        try container.encode(drawPile, forKey: .drawPile)
        try container.encode(discardPile, forKey: .discardPile)
    }
}
