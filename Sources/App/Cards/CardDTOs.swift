import EtrangeDomain
import Foundation
import Vapor

struct CharacteristicPayload: Content {
    var name: String
    var value: Int
}

struct DrawRequest: Content {
    var characterId: UUID?
    var mode: DrawMode?
    var difficulty: Int?
    var characteristic: CharacteristicPayload?
    var bonuses: [CharacteristicPayload]?
    var reason: String?
    var visibility: DrawVisibility
}

struct ToggleRequest: Content {
    var enabled: Bool
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

struct DeckResponse: Content {
    let sessionId: UUID
    let characterId: UUID?
    let ownerId: Int
    let figure: Suit?
    let valueTable: String
    let remaining: Int
    let discard: [CardResponse]
    let hasPot: Bool
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
        reason = draw.reason
        visibility = draw.visibility
        reshuffled = result.reshuffled
        valueTable = result.valueTableName
        chatLine = result.chatLine
        createdAt = draw.createdAt
    }
}
