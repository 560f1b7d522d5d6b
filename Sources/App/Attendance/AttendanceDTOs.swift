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
        /// What members answered before it (RSVP), to set beside who came.
        let rsvps: [Answer]

        struct Answer: Content {
            let userId: Int
            let answer: Availability
        }
    }

    struct PlayerLine: Content {
        struct Cell: Content {
            let sessionId: UUID
            let status: CellStatus
            let minutesPlayed: Int
            /// Their answer before the session, null if they gave none: « oui » but missed, or
            /// the reverse, shows here.
            let rsvp: Availability?

            /// `rsvp` is written as null rather than left out.
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(sessionId, forKey: .sessionId)
                try c.encode(status, forKey: .status)
                try c.encode(minutesPlayed, forKey: .minutesPlayed)
                try c.encode(rsvp, forKey: .rsvp)
            }

            enum CodingKeys: String, CodingKey { case sessionId, status, minutesPlayed, rsvp }
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
        /// Not there (yet) in a session still running: not counted as missed.
        case notYet = "not_yet"
        /// They joined the partie after this session.
        case notMember = "not_member"
    }

    let partieId: Int
    let sessions: [SessionLine]
    let players: [PlayerLine]
}
