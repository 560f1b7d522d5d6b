import EtrangeDomain
import Fluent
import Foundation
import SQLKit

/// A recurring session: the MJ's rule, stored as its fields, and the template of the sessions it
/// makes. Its occurrences are normal sessions, made a few at a time (`SeriesHorizon.ahead`).
final class SessionSeries: Model, @unchecked Sendable {
    static let schema = "session_series"

    @ID(key: .id) var id: UUID?
    @Parent(key: "partie_id") var partie: Partie
    @Field(key: "name") var name: String
    @OptionalField(key: "description") var description: String?
    @Field(key: "max_players") var maxPlayers: Int
    @Field(key: "allow_late_join") var allowLateJoin: Bool
    @Enum(key: "frequency") var frequency: RecurrenceFrequency
    @Field(key: "interval") var interval: Int
    @Field(key: "first_date") var firstDate: String
    @Field(key: "local_time") var localTime: String
    @Field(key: "time_zone") var timeZone: String
    @OptionalField(key: "monthly_week") var monthlyWeek: Int?
    @OptionalField(key: "count") var count: Int?
    @OptionalField(key: "until_date") var untilDate: String?
    @Field(key: "next_index") var nextIndex: Int
    @OptionalField(key: "refill_at") var refillAt: Date?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    /// The rule as `RecurrenceRule.make` checked it when the series was written.
    var rule: RecurrenceRule {
        get throws {
            try RecurrenceRule.make(
                frequency: frequency.rawValue, interval: interval, firstDate: firstDate, time: localTime,
                timeZone: timeZone, monthlyWeek: monthlyWeek, count: count, until: untilDate
            ).get()
        }
    }

    /// Stores `rule`'s fields.
    func set(_ rule: RecurrenceRule) {
        frequency = rule.frequency
        interval = rule.interval
        firstDate = rule.firstDate.text
        localTime = rule.time.text
        timeZone = rule.timeZone.identifier
        monthlyWeek = rule.monthlyWeek
        switch rule.end {
        case .count(let value):
            count = value
            untilDate = nil
        case .until(let day):
            count = nil
            untilDate = day.text
        }
    }

    /// Locks the series' row for the rest of the transaction, as a write (so SQLite takes its
    /// writer lock at once), and reads it again: a top-up and a split each start here, so neither
    /// works from a state the other is changing. Nil if the series is gone.
    static func lock(_ id: UUID, on db: any Database) async throws -> SessionSeries? {
        try await db.sql.update(schema)
            .set(SQLIdentifier("updated_at"), to: SQLIdentifier("updated_at"))
            .where("id", .equal, id)
            .returning(SQLLiteral.all)
            .first()
            .map { try $0.decode(fluentModel: SessionSeries.self) }
    }
}

extension SessionSeries: PartieOwned {
    var partieID: Int { $partie.id }
    static let notFound = AppError.notFound("Série introuvable.")
    static let onlyTheMJ = AppError.forbidden("Seul le MJ de la partie peut créer ou modifier ses séries de sessions.")
}

/// One occurrence of a series made into a session. `original_start` is where the rule put it:
/// a session moved since is an exception (RECURRENCE-ID), a cancelled or deleted one an EXDATE.
final class SeriesOccurrence: Model, @unchecked Sendable {
    static let schema = "session_series_occurrences"

    @ID(key: .id) var id: UUID?
    @Parent(key: "series_id") var series: SessionSeries
    @Field(key: "occurrence_index") var index: Int
    @Parent(key: "session_id") var session: Session
    @Field(key: "original_start") var originalStart: Date

    init() {}
}
