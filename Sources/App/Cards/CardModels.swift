import EtrangeDomain
import Fluent
import Foundation

/// A character's deck in one session (or the MJ's own), its whole state kept as the domain's
/// JSON: draw pile in order, discard, pot and joker.
final class SessionDeck: Model, @unchecked Sendable {
    static let schema = "session_decks"

    @ID(key: .id) var id: UUID?
    @Parent(key: "session_id") var session: Session
    @Field(key: "deck_key") var deckKey: String
    @Parent(key: "owner_id") var owner: User
    @OptionalParent(key: "character_id") var character: Character?
    @Field(key: "state") var state: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    func deck() throws -> Deck {
        try JSONDecoder().decode(Deck.self, from: Data(state.utf8))
    }

    func store(_ deck: Deck) throws {
        state = String(decoding: try JSONEncoder().encode(deck), as: UTF8.self)
    }
}

enum DrawVisibility: String, Codable, Sendable, CaseIterable {
    case `public`, mj
}

/// One test drawn by the server, with its whole result.
final class SessionDraw: Model, @unchecked Sendable {
    static let schema = "session_draws"

    @ID(key: .id) var id: UUID?
    @Parent(key: "session_id") var session: Session
    @Parent(key: "user_id") var user: User
    @OptionalParent(key: "character_id") var character: Character?
    @Enum(key: "mode") var mode: DrawMode
    @Enum(key: "visibility") var visibility: DrawVisibility
    @OptionalField(key: "reason") var reason: String?
    @Field(key: "result") var result: String
    @Field(key: "total") var total: Int
    @Field(key: "created_at") var createdAt: Date

    init() {}

    func testResult() throws -> TestResult {
        try JSONDecoder().decode(TestResult.self, from: Data(result.utf8))
    }
}
