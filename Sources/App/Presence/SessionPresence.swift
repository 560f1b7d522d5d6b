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
    /// The last sign of the person themselves (a message, a draw, a touch reported by their
    /// page), as opposed to their phone keeping the connection.
    @OptionalField(key: "last_active_at") var lastActiveAt: Date?
    /// Set by the sweeper when they were announced idle; cleared by their next sign.
    @OptionalField(key: "idle_since") var idleSince: Date?

    init() {}
}

/// What « Voir qui est connecté » shows of someone.
enum PresenceStatus: String, Codable, Sendable {
    case online, idle, offline
}

extension SessionPresence {
    var status: PresenceStatus {
        guard isOnline else { return .offline }
        return idleSince == nil ? .online : .idle
    }
}
