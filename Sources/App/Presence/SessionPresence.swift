import Fluent
import Foundation

/// Who is connected to a session right now: one row per (session, user), as the design document's
/// UNIQUE says, flipped online and offline as they come and go.
final class SessionPresence: Model, @unchecked Sendable {
    static let schema = "session_presence"

    @ID(key: .id) var id: UUID?
    @Parent(key: "session_id") var session: Session
    @Parent(key: "user_id") var user: User
    @OptionalParent(key: "character_id") var character: Character?
    @Field(key: "is_online") var isOnline: Bool
    @Field(key: "last_seen") var lastSeen: Date
    @Field(key: "joined_at") var joinedAt: Date
    @OptionalField(key: "left_at") var leftAt: Date?

    init() {}
}
