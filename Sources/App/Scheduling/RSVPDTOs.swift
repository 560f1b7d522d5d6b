import EtrangeDomain
import Foundation
import Vapor

/// `PUT /api/sessions/{id}/rsvp`.
struct RSVPRequest: Content {
    var answer: Availability
    var comment: String?
}

/// Someone of the partie, as the answers name them.
struct MemberRef: Content, Equatable {
    let userId: Int
    let username: String
    let displayName: String?
}

/// `GET /api/sessions/{id}/rsvps`: every member's answer, for every member to see.
struct RSVPListResponse: Content {
    struct Answer: Content {
        let userId: Int
        let username: String
        let displayName: String?
        let answer: Availability
        let comment: String?
        let updatedAt: Date
    }

    let sessionId: UUID
    /// Whether answers are still taken; `closedReason` says why not.
    let open: Bool
    let closedReason: String?
    let counts: RSVPSummary
    let answers: [Answer]
    /// The players who have not answered, for the MJ; null for everyone else.
    let notAnswered: [MemberRef]?
}

/// What `rsvp.answered` tells the session's live channel.
struct RSVPEventData: Content {
    let userId: Int
    let username: String
    let displayName: String?
    let answer: Availability
    let comment: String?
    /// The counts after this answer (without anyone's own).
    let yes: Int
    let maybe: Int
    let no: Int
}
