/// How many cards a test turns over, and which one it keeps.
public enum DrawMode: String, Sendable, Codable, CaseIterable {
    case classic, advantage, disadvantage

    public var cardCount: Int { self == .classic ? 1 : 2 }

    public var label: String {
        switch self {
        case .classic: "classique"
        case .advantage: "avantage"
        case .disadvantage: "désavantage"
        }
    }

    /// The card kept and the one crossed out. Advantage keeps the higher value, disadvantage the
    /// lower; on equal values the first card turned over is kept, whatever the suits: the table
    /// saw it first, and no suit outranks another in this game. A lone card is kept in any mode.
    public func keep(_ draw: Draw, with table: CardValueTable) -> (kept: Card, setAside: Card?) {
        guard let second = draw.second else { return (draw.first, nil) }
        let first = draw.first
        let secondWins =
            switch self {
            case .classic: false
            case .advantage: table.value(of: second) > table.value(of: first)
            case .disadvantage: table.value(of: second) < table.value(of: first)
            }
        return secondWins ? (second, first) : (first, second)
    }
}

/// The characteristic a test rests on, « Agilité 3 ».
public struct Characteristic: Hashable, Sendable, Codable {
    public var name: String
    public var value: Int

    public init(name: String, value: Int) {
        self.name = name
        self.value = value
    }
}

/// A bonus a player adds (an item, a skill, « Épée 1 »); a negative value is a penalty.
public struct Bonus: Hashable, Sendable, Codable {
    public var name: String
    public var value: Int

    public init(name: String, value: Int) {
        self.name = name
        self.value = value
    }
}

/// A test as a player asks for it, before any card is drawn.
public struct TestRequest: Hashable, Sendable, Codable {
    public static let maxBonuses = 2

    /// Who draws, as the chat names them.
    public var characterName: String
    /// Nil for a bare draw: the card and the bonuses alone.
    public var characteristic: Characteristic?
    public var bonuses: [Bonus]
    /// Without a difficulty the test gives a total and no verdict: the MJ judges.
    public var difficulty: Int?
    public var mode: DrawMode

    public init(
        characterName: String, characteristic: Characteristic?, bonuses: [Bonus] = [],
        difficulty: Int? = nil, mode: DrawMode = .classic
    ) {
        self.characterName = characterName
        self.characteristic = characteristic
        self.bonuses = bonuses
        self.difficulty = difficulty
        self.mode = mode
    }

    /// Checked before drawing, so a refused test costs no card.
    public func validate() -> Result<Void, TestRefusal> {
        if bonuses.count > Self.maxBonuses { return .failure(.tooManyBonuses(bonuses.count)) }
        if characteristic?.name.isBlank == true { return .failure(.unnamedCharacteristic) }
        if let index = bonuses.firstIndex(where: { $0.name.isBlank }) {
            return .failure(.unnamedBonus(position: index + 1))
        }
        return .success(())
    }

    /// The result of this test with these cards. Pure: the same cards always give the same result,
    /// which is what lets a test be worked out by hand.
    public func resolve(_ draw: Draw, with table: CardValueTable) -> TestResult {
        let (kept, setAside) = mode.keep(draw, with: table)
        let cardValue = table.value(of: kept)
        let total = cardValue + (characteristic?.value ?? 0) + bonuses.reduce(0) { $0 + $1.value }
        return TestResult(
            request: self, draw: draw, kept: kept, setAside: setAside, cardValue: cardValue,
            total: total, outcome: difficulty.map { total >= $0 ? .success : .failure },
            valueTableName: table.name)
    }
}

public enum TestRefusal: Error, Hashable, Sendable {
    case tooManyBonuses(Int)
    case unnamedCharacteristic
    /// Counted from 1, as a player would.
    case unnamedBonus(position: Int)

    public var reason: String {
        switch self {
        case .tooManyBonuses(let count):
            "Un test accepte au plus \(TestRequest.maxBonuses) bonus (\(count) demandés)."
        case .unnamedCharacteristic:
            "La caractéristique du test doit avoir un nom."
        case .unnamedBonus(let position):
            "Le bonus n° \(position) doit avoir un nom."
        }
    }
}

/// Reaching the difficulty is enough: total ≥ difficulty succeeds.
public enum TestOutcome: String, Sendable, Codable {
    case success, failure

    public var label: String { self == .success ? "RÉUSSITE" : "ÉCHEC" }
}

public struct TestResult: Hashable, Sendable, Codable {
    public let request: TestRequest
    public let draw: Draw
    public let kept: Card
    /// The card turned over but not kept, shown crossed out.
    public let setAside: Card?
    public let cardValue: Int
    public let total: Int
    /// Nil when the test had no difficulty.
    public let outcome: TestOutcome?
    /// The rule the card was valued with, so a result read later can be explained.
    public let valueTableName: String

    public var reshuffled: Bool { draw.reshuffled }

    /// « Armand tire le 7 de pique : 7 + Agilité 3 = 10 — RÉUSSITE (difficulté 9) », or with two
    /// cards « Armand tire le 7 de pique et le Roi de cœur (avantage, garde le Roi de cœur) : … ».
    public var chatLine: String {
        var line = "\(request.characterName) tire \(draw.first.labelWithArticle)"
        if let second = draw.second {
            line += " et \(second.labelWithArticle) (\(request.mode.label), garde \(kept.labelWithArticle))"
        }
        line += " : \(cardValue)"
        if let characteristic = request.characteristic {
            line += Self.term(characteristic.name, characteristic.value)
        }
        for bonus in request.bonuses { line += Self.term(bonus.name, bonus.value) }
        line += " = \(total)"
        if let outcome, let difficulty = request.difficulty {
            line += " — \(outcome.label) (difficulté \(difficulty))"
        }
        return line
    }

    /// Said before the result when the draw pile ran out, so nobody wonders why the discard is empty.
    public var reshuffleLine: String? {
        reshuffled ? "\(request.characterName) a épuisé sa pioche : la défausse est remélangée." : nil
    }

    /// What the chat posts, in order.
    public var chatLines: [String] { [reshuffleLine, chatLine].compactMap { $0 } }

    /// « + Épée 1 », or « − Fatigue 2 » for a penalty, rather than « + Fatigue -2 ».
    private static func term(_ name: String, _ value: Int) -> String {
        value < 0 ? " − \(name) \(-value)" : " + \(name) \(value)"
    }
}

extension Deck {
    /// Validates, draws as the mode asks, and resolves with this deck's value table. A refused
    /// test draws nothing.
    public mutating func test(_ request: TestRequest, using generator: inout some RandomNumberGenerator)
        throws(TestRefusal) -> TestResult
    {
        try request.validate().get()
        return request.resolve(draw(request.mode, using: &generator), with: valueTable)
    }
}

extension String {
    fileprivate var isBlank: Bool { allSatisfy(\.isWhitespace) }
}
