import Fluent
import Foundation

enum MessageKind: String, Codable, Sendable {
    case text, draw, system
}

/// Who a line is for: the whole table, the MJ and chosen people (`session_message_recipients`),
/// or the whole table as the MJ's announcement, which may be pinned.
enum MessageScope: String, Codable, Sendable {
    case `public`, `private`, announcement
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
    @Enum(key: "scope") var scope: MessageScope
    @OptionalField(key: "edited_at") var editedAt: Date?
    /// Set when the line is removed; its body is then emptied, not kept out of sight.
    @OptionalField(key: "deleted_at") var deletedAt: Date?
    @OptionalField(key: "pinned_at") var pinnedAt: Date?

    init() {}
}
