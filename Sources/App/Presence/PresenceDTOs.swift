import EtrangeDomain
import Foundation
import Vapor

/// The design document's `JoinSessionRequest`; the session is the one in the path, and a
/// `session_id` in the body, when sent, must name the same.
struct JoinSessionRequest: Content {
    var sessionId: UUID?
    var characterId: UUID?
    /// `player` (the default) or `observer`, when the partie lets its members sit in by themselves.
    var role: SeatRole?
}

struct AddParticipantRequest: Content {
    var userId: Int
    var role: SeatRole?
    var characterId: UUID?
}

struct ParticipantResponse: Content {
    let id: UUID
    let sessionId: UUID
    let userId: Int
    let username: String
    let displayName: String?
    let characterId: UUID?
    let characterName: String?
    let role: SeatRole
    let joinedAt: Date
    let leftAt: Date?
    /// Minutes online while the session was active, counted up to now while it runs.
    let totalTimeMinutes: Int
    let isActive: Bool
    let isOnline: Bool
    let presence: PresenceStatus
}

/// The optional body of a heartbeat: `active` when the person did something since the last one.
struct HeartbeatRequest: Content {
    var active: Bool?
}

/// One line of « Voir qui est connecté ».
struct PresenceResponse: Content {
    let userId: Int
    let username: String
    let displayName: String?
    let characterId: UUID?
    let characterName: String?
    let isOnline: Bool
    let status: PresenceStatus
    let joinedAt: Date
    let lastSeen: Date
    let lastActiveAt: Date?
    let idleSince: Date?
    let leftAt: Date?
}
