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

    /// The card kept and the one crossed out. Advantage keeps the higher rank, disadvantage the
    /// lower, by `Rank.order` (A < 2 < … < 10 < J < Q < K) whatever the values, as the app does;
    /// the joker, the card everyone hopes for, ranks above the Roi. On a tie of rank the first
    /// card turned over is kept: the table saw it first. A lone card is kept in any mode.
    public func keep(_ draw: Draw) -> (kept: Card, setAside: Card?) {
        guard let second = draw.second else { return (draw.first, nil) }
        let first = draw.first
        let secondWins =
            switch self {
            case .classic: false
            case .advantage: Self.order(second) > Self.order(first)
            case .disadvantage: Self.order(second) < Self.order(first)
            }
        return secondWins ? (second, first) : (first, second)
    }

    private static func order(_ card: Card) -> Int { card.rank?.order ?? Rank.allCases.count }
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
    /// What the test named on the character's sheet, when its terms come from there; nil for
    /// terms typed in. Triggered effects are matched against it.
    public var reference: SheetReference?
    /// What the joker is worth if it is turned over. The player chooses it, but the server draws
    /// in one round trip, so the choice comes with the request; without one the joker is worth
    /// the table's best value, what a player always picks when no effect is at stake.
    public var jokerValue: Int?
    /// The figure social influence adds to this draw only (« influence sociale augmentée »).
    public var influence: Rank?

    public init(
        characterName: String, characteristic: Characteristic?, bonuses: [Bonus] = [],
        difficulty: Int? = nil, mode: DrawMode = .classic, reference: SheetReference? = nil,
        jokerValue: Int? = nil, influence: Rank? = nil
    ) {
        self.characterName = characterName
        self.characteristic = characteristic
        self.bonuses = bonuses
        self.difficulty = difficulty
        self.mode = mode
        self.reference = reference
        self.jokerValue = jokerValue
        self.influence = influence
    }

    /// Checked before drawing, so a refused test costs no card. Typed-in tests take two bonuses
    /// at most; a sheet gives as many terms as it holds.
    public func validate() -> Result<Void, TestRefusal> {
        if reference == nil, bonuses.count > Self.maxBonuses { return .failure(.tooManyBonuses(bonuses.count)) }
        if characteristic?.name.isBlank == true { return .failure(.unnamedCharacteristic) }
        if let index = bonuses.firstIndex(where: { $0.name.isBlank }) {
            return .failure(.unnamedBonus(position: index + 1))
        }
        return .success(())
    }

    /// The result of this test with these cards. Pure: the same cards always give the same result,
    /// which is what lets a test be worked out by hand. An effect fires only when the test
    /// succeeds, the card kept is the effect's and the test named the effect's target.
    public func resolve(_ draw: Draw, with table: CardValueTable, effects: [TriggeredEffect] = []) -> TestResult {
        let (kept, setAside) = mode.keep(draw)
        let cardValue = kept.isJoker ? (jokerValue ?? table.joker) : table.value(of: kept)
        let total = cardValue + (characteristic?.value ?? 0) + bonuses.reduce(0) { $0 + $1.value }
        let outcome = difficulty.map { total >= $0 ? TestOutcome.success : .failure }
        let targets = reference?.targets ?? characteristic.map { [.characteristic($0.name)] } ?? []
        let effect =
            outcome != .success
            ? nil
            : targets.lazy.compactMap { target in
                effects.first { $0.target == target && $0.rank == kept.rank && $0.suit == kept.suit }
            }.first
        return TestResult(
            request: self, draw: draw, kept: kept, setAside: setAside, cardValue: cardValue,
            total: total, outcome: outcome, valueTableName: table.name, effect: effect)
    }
}

public enum TestRefusal: Error, Hashable, Sendable {
    case tooManyBonuses(Int)
    case unnamedCharacteristic
    /// Counted from 1, as a player would.
    case unnamedBonus(position: Int)
    /// The joker's value must be one a card of the table can have.
    case jokerValue(Int, allowed: ClosedRange<Int>)
    case deck(DeckError)

    public var reason: String {
        switch self {
        case .tooManyBonuses(let count):
            "Un test accepte au plus \(TestRequest.maxBonuses) bonus (\(count) demandés)."
        case .unnamedCharacteristic:
            "La caractéristique du test doit avoir un nom."
        case .unnamedBonus(let position):
            "Le bonus n° \(position) doit avoir un nom."
        case .jokerValue(let value, let allowed):
            "Le joker vaut de \(allowed.lowerBound) à \(allowed.upperBound) (\(value) demandé)."
        case .deck(let error): error.reason
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
    /// The character's effect this test triggered, if any.
    public let effect: TriggeredEffect?

    public init(
        request: TestRequest, draw: Draw, kept: Card, setAside: Card?, cardValue: Int, total: Int,
        outcome: TestOutcome?, valueTableName: String, effect: TriggeredEffect? = nil
    ) {
        self.request = request
        self.draw = draw
        self.kept = kept
        self.setAside = setAside
        self.cardValue = cardValue
        self.total = total
        self.outcome = outcome
        self.valueTableName = valueTableName
        self.effect = effect
    }

    public var reshuffled: Bool { draw.reshuffled }

    /// « Armand tire le 7 de pique : 7 + Agilité 3 = 10 — RÉUSSITE (difficulté 9) », or with two
    /// cards « Armand tire le 7 de pique et le Roi de cœur (avantage, garde le Roi de cœur) : … ».
    public var chatLine: String {
        var line = "\(request.characterName) tire \(Self.named(draw.first))"
        if let second = draw.second {
            line += " et \(Self.named(second)) (\(request.mode.label), garde \(kept.labelWithArticle))"
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
        if let effect { line += " — effet déclenché : \(effect.description)" }
        return line
    }

    /// « la Dame de cœur (pot) »: where a card not of the rows came from.
    private static func named(_ card: Card) -> String {
        switch card.origin {
        case .pot, .influence: "\(card.labelWithArticle) (\(card.origin.label))"
        case .base, .item: card.labelWithArticle
        }
    }

    /// « + Épée 1 », or « − Fatigue 2 » for a penalty, rather than « + Fatigue -2 ».
    private static func term(_ name: String, _ value: Int) -> String {
        value < 0 ? " − \(name) \(-value)" : " + \(name) \(value)"
    }
}

extension CharacterDeck {
    /// Validates, draws as the mode asks (with the request's influence figure), and resolves
    /// with `table` and the character's effects. A refused test draws nothing and spends nothing.
    public mutating func test(
        _ request: TestRequest, with table: CardValueTable, effects: [TriggeredEffect] = [],
        using generator: inout some RandomNumberGenerator
    ) throws(TestRefusal) -> TestResult {
        try request.validate().get()
        if let value = request.jokerValue {
            let allowed = table.values.values.min()!...table.values.values.max()!
            guard allowed.contains(value) else { throw .jokerValue(value, allowed: allowed) }
        }
        let draw: Draw
        do {
            draw = try self.draw(request.mode, influence: request.influence, using: &generator)
        } catch {
            throw .deck(error)
        }
        return request.resolve(draw, with: table, effects: effects)
    }
}

extension String {
    fileprivate var isBlank: Bool { allSatisfy(\.isWhitespace) }
}
