import EtrangeDomain
import Foundation
import Vapor

struct AttendanceResponse: Content {
    struct SessionLine: Content {
        struct Attendee: Content {
            let userId: Int
            let minutesPlayed: Int
            let role: SeatRole
        }
        let sessionId: UUID
        let name: String
        let status: SessionStatus
        let startedAt: Date?
        let endedAt: Date?
        let durationMinutes: Int?
        let attendees: [Attendee]
    }

    struct PlayerLine: Content {
        struct Cell: Content {
            let sessionId: UUID
            let status: CellStatus
            let minutesPlayed: Int
        }
        let userId: Int
        let username: String
        let displayName: String?
        let isMj: Bool
        let attended: Int
        let missed: Int
        let minutesPlayed: Int
        let sessions: [Cell]
    }

    enum CellStatus: String, Codable, Sendable {
        case attended, missed
        /// They joined the partie after this session.
        case notMember = "not_member"
    }

    let partieId: Int
    let sessions: [SessionLine]
    let players: [PlayerLine]
}
