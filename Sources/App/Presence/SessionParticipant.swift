import EtrangeDomain
import Fluent
import Foundation

/// Who took part in a session, with their role and the time they played.
final class SessionParticipant: Model, @unchecked Sendable {
    static let schema = "session_participants"

    @ID(key: .id) var id: UUID?
    @Parent(key: "session_id") var session: Session
    @Parent(key: "user_id") var user: User
    @OptionalParent(key: "character_id") var character: Character?
    @Enum(key: "role") var role: SeatRole
    @Field(key: "joined_at") var joinedAt: Date
    @OptionalField(key: "left_at") var leftAt: Date?
    @OptionalField(key: "total_time_minutes") var totalTimeMinutes: Int?
    /// Seconds played in stretches already closed.
    @Field(key: "played_seconds") var playedSeconds: Double
    /// Start of the current stretch of play: online while the session is active.
    @OptionalField(key: "playing_since") var playingSince: Date?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    @Field(key: "is_active") var isActive: Bool

    init() {}
}

extension SessionParticipant {
    /// The roles that take a seat (`SeatRole.seatTaking`), as an SQL list for the statements that
    /// count seats: the rule stays the domain's.
    static let seatTakingRoles = "(" + SeatRole.seatTaking.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
}
