/// What each card is worth in a test. It is data, not code, so that a table of players can switch
/// rules (or invent its own) and a stored deck keeps the rules it was played with.
public struct CardValueTable: Hashable, Sendable {
    /// A stable identifier, stored with the deck: "current", "classic", or a table's own.
    public let name: String
    /// What a player reads when choosing the rule.
    public let label: String
    public let values: [Rank: Int]
    /// The joker's value lives in the table too, since « the best card » depends on the rule.
    public let joker: Int

    /// `value` is asked for every rank, so a table can never be missing one. Without an explicit
    /// `joker`, the joker is worth the highest value of the table: it is the card everyone hopes
    /// for, and it must never be worse than a card it could tie with.
    public init(name: String, label: String, joker: Int? = nil, value: (Rank) -> Int) {
        var values: [Rank: Int] = [:]
        for rank in Rank.allCases { values[rank] = value(rank) }
        self.name = name
        self.label = label
        self.values = values
        self.joker = joker ?? values.values.max()!
    }

    public func value(of rank: Rank) -> Int { values[rank]! }

    public func value(of card: Card) -> Int {
        switch card.face {
        case .regular(let rank, _): value(of: rank)
        case .joker: joker
        }
    }

    /// The mobile app's rule today: ace 1, pips at face value, every figure 10; the joker 10.
    public static let current = CardValueTable(name: "current", label: "Règle actuelle (As 1, figures 10)") { rank in
        switch rank {
        case .ace: 1
        case .jack, .queen, .king: 10
        default: Int(rank.rawValue)!
        }
    }

    /// The usual card-game order: pips at face value, J 11, Q 12, K 13, ace 14; the joker 14.
    public static let classic = CardValueTable(
        name: "classic", label: "Règle classique (Valet 11, Dame 12, Roi 13, As 14)"
    ) { rank in
        switch rank {
        case .jack: 11
        case .queen: 12
        case .king: 13
        case .ace: 14
        default: Int(rank.rawValue)!
        }
    }

    public static let builtIn: [CardValueTable] = [.current, .classic]

    /// A built-in table from its stored name.
    public static func named(_ name: String) -> CardValueTable? {
        builtIn.first { $0.name == name }
    }
}

/// Stored whole (not only its name) so a custom table survives, and a deck keeps the values it
/// was played with even if a built-in table is changed later. A table missing a rank is refused.
extension CardValueTable: Codable {
    private enum CodingKeys: String, CodingKey { case name, label, values, joker }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let values = try container.decode([Rank: Int].self, forKey: .values)
        let missing = Rank.allCases.filter { values[$0] == nil }
        guard missing.isEmpty else {
            throw DecodingError.dataCorruptedError(
                forKey: .values, in: container,
                debugDescription:
                    "Table de valeurs incomplète : il manque \(missing.map(\.label).joined(separator: ", ")).")
        }
        self.init(
            name: try container.decode(String.self, forKey: .name),
            label: try container.decode(String.self, forKey: .label),
            joker: try container.decode(Int.self, forKey: .joker)
        ) { values[$0]! }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(label, forKey: .label)
        try container.encode(values, forKey: .values)
        try container.encode(joker, forKey: .joker)
    }
}
