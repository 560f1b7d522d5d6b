import EtrangeDomain
import Foundation
import Vapor

struct CharacteristicPayload: Content {
    var name: String
    var value: Int
}

/// The request of before sheets stays valid: `characteristic` and `bonuses` typed in. A test from
/// the sheet names them in `sheet` instead; `difficulty_preset` names a difficulty.
struct DrawRequest: Content {
    var characterId: UUID?
    var mode: DrawMode?
    var difficulty: Int?
    var difficultyPreset: DifficultyPreset?
    var characteristic: CharacteristicPayload?
    var bonuses: [CharacteristicPayload]?
    var sheet: SheetReference?
    var jokerValue: Int?
    var socialInfluence: Rank?
    var reason: String?
    var visibility: DrawVisibility
}

/// A card as screens show it.
struct CardResponse: Content {
    let rank: String?
    let suit: Suit?
    let label: String
    let origin: String
    let value: Int
    /// In a draw: whether this is the card kept (the other is shown crossed out).
    let kept: Bool?

    init(_ card: Card, table: CardValueTable, kept: Bool? = nil) {
        rank = card.rank?.rawValue
        suit = card.suit
        label = card.label
        origin = card.origin.rawValue
        value = table.value(of: card)
        self.kept = kept
    }
}

/// A deck as a session shows it: the cards a draw chooses from now, the spent figures face up.
struct DeckResponse: Content {
    let sessionId: UUID
    let characterId: UUID?
    let ownerId: Int
    let figure: Suit?
    let valueTable: String
    /// How many cards a draw chooses from.
    let remaining: Int
    let cards: [CardResponse]
    /// The spent pot figures, face up until the pot is reset.
    let spent: [CardResponse]
    let pot: [PotFigureView]
    let hasJoker: Bool
}

struct DrawResponse: Content {
    let id: UUID
    let sessionId: UUID
    let userId: Int
    let username: String
    let displayName: String?
    let characterId: UUID?
    let characterName: String?
    let mode: DrawMode
    let cards: [CardResponse]
    let cardValue: Int
    let characteristic: CharacteristicPayload?
    let bonuses: [CharacteristicPayload]
    let total: Int
    let difficulty: Int?
    let outcome: TestOutcome?
    let outcomeLabel: String?
    /// What the test named on the sheet, when its terms came from there.
    let sheet: SheetReference?
    let socialInfluence: Rank?
    /// The character's effect this test triggered.
    let effect: TriggeredEffect?
    let reason: String?
    let visibility: DrawVisibility
    let reshuffled: Bool
    let valueTable: String
    let chatLine: String
    let createdAt: Date

    init(_ draw: SessionDraw, user: User, characterName: String?) throws {
        let result = try draw.testResult()
        let table = CardValueTable.named(result.valueTableName) ?? .current
        id = try draw.requireID()
        sessionId = draw.$session.id
        userId = draw.$user.id
        username = user.username
        displayName = user.displayName
        characterId = draw.$character.id
        self.characterName = characterName
        mode = result.request.mode
        // The two cards of one draw are never the same card, so equality finds the one kept.
        cards = result.draw.cards.map { CardResponse($0, table: table, kept: $0 == result.kept) }
        cardValue = result.cardValue
        characteristic = result.request.characteristic.map { CharacteristicPayload(name: $0.name, value: $0.value) }
        bonuses = result.request.bonuses.map { CharacteristicPayload(name: $0.name, value: $0.value) }
        total = result.total
        difficulty = result.request.difficulty
        outcome = result.outcome
        outcomeLabel = result.outcome?.label
        sheet = result.request.reference
        socialInfluence = result.request.influence
        effect = result.effect
        reason = draw.reason
        visibility = draw.visibility
        reshuffled = result.reshuffled
        valueTable = result.valueTableName
        chatLine = result.chatLine
        createdAt = draw.createdAt
    }
}
