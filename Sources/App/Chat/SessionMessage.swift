import Fluent
import Foundation

enum MessageKind: String, Codable, Sendable {
    case text, draw, system
}

/// A line of the session's chat: someone's words, a draw's result, or what happened to the session.
final class SessionMessage: Model, @unchecked Sendable {
    static let schema = "session_messages"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Parent(key: "session_id") var session: Session
    @OptionalParent(key: "user_id") var user: User?
    @Enum(key: "kind") var kind: MessageKind
    @Field(key: "body") var body: String
    @OptionalParent(key: "draw_id") var draw: SessionDraw?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
