import EtrangeDomain
import Foundation
import Vapor

/// `POST /api/parties/{id}/series`: the sessions' template and the rule.
struct CreateSeriesRequest: Content {
    var name: String
    var description: String?
    var maxPlayers: Int?
    var allowLateJoin: Bool?
    var frequency: String
    var interval: Int?
    var firstDate: String
    var time: String
    var timeZone: String?
    var monthlyWeek: Int?
    var count: Int?
    var until: String?
}

/// `PATCH /api/series/{id}`: from occurrence `occurrence` on (`scope` `following`), the series
/// ends and a new one with the fields sent (the others kept) takes over, or with `cancelled` the
/// series simply ends there. One occurrence alone is a session: `PUT /api/sessions/{id}` and
/// `POST /api/sessions/{id}/cancel` edit it.
struct UpdateSeriesRequest: Content {
    var scope: String
    var occurrence: Int
    var cancelled: Bool?
    var name: String?
    var description: String?
    var maxPlayers: Int?
    var allowLateJoin: Bool?
    var frequency: String?
    var interval: Int?
    var firstDate: String?
    var time: String?
    var timeZone: String?
    var monthlyWeek: Int?
    var count: Int?
    var until: String?
}

/// A series as its partie's members see it, with its occurrences: those made into sessions,
/// then the next ones of the rule not made yet.
struct SeriesResponse: Content {
    struct Occurrence: Content {
        let index: Int
        /// Where the rule puts it.
        let startsAt: Date
        let sessionId: UUID?
        /// The session's own date, which differs once it was moved.
        let scheduledDate: Date?
        let status: SessionStatus?
        /// `moved` or `cancelled` (the session cancelled or deleted), else absent.
        let exception: String?
    }

    let id: UUID
    let partieId: Int
    let name: String
    let description: String?
    let maxPlayers: Int
    let allowLateJoin: Bool
    let frequency: RecurrenceFrequency
    let interval: Int
    let firstDate: String
    let time: String
    let timeZone: String
    let monthlyWeek: Int?
    let count: Int?
    let until: String?
    /// « le 2ᵉ vendredi de chaque mois », for people.
    let label: String
    /// The rule as RFC 5545 writes it, for calendar programs.
    let rrule: String
    let total: Int
    let occurrences: [Occurrence]
}
