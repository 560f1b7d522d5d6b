/// The four suits. A character has one of its own, its « figure », which decides what the pot adds.
/// Raw values are stable identifiers for storage; `label` is what a player reads.
public enum Suit: String, Sendable, Codable, CaseIterable {
    case spades, hearts, diamonds, clubs

    public var label: String {
        switch self {
        case .spades: "pique"
        case .hearts: "cœur"
        case .diamonds: "carreau"
        case .clubs: "trèfle"
        }
    }

    public var symbol: String {
        switch self {
        case .spades: "♠"
        case .hearts: "♥"
        case .diamonds: "♦"
        case .clubs: "♣"
        }
    }
}

/// Ace to king. What a rank is worth is not here on purpose: that belongs to a `CardValueTable`,
/// so a table can change its rules without touching the cards.
public enum Rank: String, Sendable, Codable, CaseIterable, CodingKeyRepresentable {
    case ace = "A"
    case two = "2"
    case three = "3"
    case four = "4"
    case five = "5"
    case six = "6"
    case seven = "7"
    case eight = "8"
    case nine = "9"
    case ten = "10"
    case jack = "J"
    case queen = "Q"
    case king = "K"

    /// The ranks the pot adds: the figures of the character's suit.
    public static let figures: [Rank] = [.jack, .queen, .king]

    /// Advantage and disadvantage compare ranks, not values: A < 2 < … < 10 < J < Q < K, so a Roi
    /// beats a 10 although both are worth 10.
    public var order: Int { Self.allCases.firstIndex(of: self)! }

    public var label: String {
        switch self {
        case .ace: "As"
        case .jack: "Valet"
        case .queen: "Dame"
        case .king: "Roi"
        default: rawValue
        }
    }

    /// « la Dame », « l'As », « le Roi », « le 7 »: the article a sentence needs before the label.
    var definiteArticle: String {
        switch self {
        case .ace: "l'"
        case .queen: "la "
        default: "le "
        }
    }
}

/// One card. A deck's rows may hold a figure the pot also holds, so `origin` is part of the
/// identity: a pot Valet de pique is spent, a Valet de pique of the rows never is.
public struct Card: Hashable, Sendable {
    public enum Face: Hashable, Sendable {
        case regular(Rank, Suit)
        case joker
    }

    public enum Origin: String, Hashable, Sendable, Codable {
        /// A card of the deck's rows.
        case base
        /// An extra figure of the character's suit, added with the pot.
        case pot
        /// The joker a special item brings.
        case item
        /// The figure social influence adds to one draw, never kept in the deck.
        case influence

        public var label: String {
            switch self {
            case .base: "paquet"
            case .pot: "pot"
            case .item: "objet spécial"
            case .influence: "influence sociale"
            }
        }
    }

    public let face: Face
    public let origin: Origin

    public init(_ rank: Rank, of suit: Suit, origin: Origin = .base) {
        face = .regular(rank, suit)
        self.origin = origin
    }

    /// There is only one joker, and it always comes from the item.
    public static let joker = Card(face: .joker, origin: .item)

    private init(face: Face, origin: Origin) {
        self.face = face
        self.origin = origin
    }

    public var isJoker: Bool { face == .joker }

    public var rank: Rank? {
        if case .regular(let rank, _) = face { rank } else { nil }
    }

    public var suit: Suit? {
        if case .regular(_, let suit) = face { suit } else { nil }
    }

    /// « As de pique », « 7 de cœur », « Dame de carreau », « Joker ». A pot card reads like its
    /// base twin: at the table they are the same card.
    public var label: String {
        switch face {
        case .regular(let rank, let suit): "\(rank.label) de \(suit.label)"
        case .joker: "Joker"
        }
    }

    /// The label inside a sentence: « l'As de pique », « la Dame de cœur », « le Joker ».
    public var labelWithArticle: String {
        switch face {
        case .regular(let rank, _): rank.definiteArticle + label
        case .joker: "le Joker"
        }
    }
}

extension Card: CustomStringConvertible {
    public var description: String {
        switch face {
        case .regular(let rank, let suit): "\(rank.rawValue)\(suit.symbol)\(origin == .pot ? "(pot)" : "")"
        case .joker: "Joker"
        }
    }
}

/// Stored as `{"rank": "Q", "suit": "hearts", "origin": "pot"}`, or `{"rank": "joker", "origin": "item"}`:
/// readable in a database row, and an impossible card (a pot 7, a base joker) is refused on reading
/// rather than discovered in play.
extension Card: Codable {
    private enum CodingKeys: String, CodingKey { case rank, suit, origin }
    private static let jokerCode = "joker"

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let code = try container.decode(String.self, forKey: .rank)
        let origin = try container.decode(Origin.self, forKey: .origin)
        if code == Self.jokerCode {
            guard origin == .item else {
                throw DecodingError.dataCorruptedError(
                    forKey: .origin, in: container,
                    debugDescription: "Le joker vient toujours de l'objet spécial.")
            }
            self = .joker
            return
        }
        guard let rank = Rank(rawValue: code) else {
            throw DecodingError.dataCorruptedError(
                forKey: .rank, in: container,
                debugDescription: "Valeur de carte inconnue : « \(code) ».")
        }
        let suit = try container.decode(Suit.self, forKey: .suit)
        guard origin == .base || ([.pot, .influence].contains(origin) && Rank.figures.contains(rank)) else {
            throw DecodingError.dataCorruptedError(
                forKey: .origin, in: container,
                debugDescription:
                    "La carte « \(rank.label) de \(suit.label) » ne peut pas venir de « \(origin.label) ».")
        }
        self.init(rank, of: suit, origin: origin)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch face {
        case .regular(let rank, let suit):
            try container.encode(rank.rawValue, forKey: .rank)
            try container.encode(suit, forKey: .suit)
        case .joker:
            try container.encode(Self.jokerCode, forKey: .rank)
        }
        try container.encode(origin, forKey: .origin)
    }
}
