import Fluent

/// Recurring sessions: a series holds its rule once (the fields of `RecurrenceRule`, as the MJ
/// gave them), and each occurrence made into a session is one row keyed (series, index) under a
/// unique constraint, so that two instances topping up the horizon at once create it once.
struct CreateSessionSeries: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("session_series")
            .id()
            .field("partie_id", .int, .required, .references("parties", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("description", .string)
            .field("max_players", .int, .required)
            .field("allow_late_join", .bool, .required)
            .field("frequency", .string, .required)
            .field("interval", .int, .required)
            .field("first_date", .string, .required)
            .field("local_time", .string, .required)
            .field("time_zone", .string, .required)
            .field("monthly_week", .int)
            .field("count", .int)
            .field("until_date", .string)
            // Occurrences below this index have been made into sessions (or skipped, past).
            .field("next_index", .int, .required)
            // When the horizon next needs topping up; null once every occurrence is made.
            .field("refill_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.index("idx_session_series_partie", on: "session_series", ["partie_id"])
        try await database.index("idx_session_series_refill", on: "session_series", ["refill_at"])
        try await database.schema("session_series_occurrences")
            .id()
            .field("series_id", .uuid, .required, .references("session_series", "id", onDelete: .cascade))
            .field("occurrence_index", .int, .required)
            .field("session_id", .uuid, .required, .references("sessions", "id", onDelete: .cascade))
            // The rule's start of this occurrence: the RECURRENCE-ID of a moved one.
            .field("original_start", .datetime, .required)
            .unique(on: "series_id", "occurrence_index", name: "uq_series_occurrence")
            .unique(on: "session_id", name: "uq_series_occurrence_session")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("session_series_occurrences").delete()
        try await database.schema("session_series").delete()
    }
}
