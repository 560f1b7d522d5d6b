import Fluent
import SQLKit

/// Answers to scheduled sessions (RSVP) and the date polls that lead to them. One answer per
/// person and session, and per person and slot, under unique indexes: the upserts that write them
/// lean on these to stay one row when two tabs answer at once.
struct CreateScheduling: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("session_rsvps")
            .id()
            .field("session_id", .uuid, .required, .references("sessions", "id", onDelete: .cascade))
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .field(
                "answer", .sql(unsafeRaw: "VARCHAR(5)"), .required,
                .sql(unsafeRaw: "CHECK (answer IN ('yes', 'maybe', 'no'))")
            )
            .field("comment", .sql(unsafeRaw: "VARCHAR(200)"))
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "session_id", "user_id", name: "uq_session_rsvps_pair")
            .create()
        try await database.schema("date_polls")
            .id()
            .field("partie_id", .int, .required, .references("parties", "id", onDelete: .cascade))
            .field("name", .sql(unsafeRaw: "VARCHAR(100)"), .required)
            .field("description", .sql(unsafeRaw: "TEXT"))
            .field("max_players", .int, .required, .sql(unsafeRaw: "CHECK (max_players BETWEEN 1 AND 20)"))
            .field("allow_late_join", .bool, .required)
            .field(
                "status", .sql(unsafeRaw: "VARCHAR(10)"), .required,
                .sql(unsafeRaw: "DEFAULT 'open' CHECK (status IN ('open', 'closed', 'cancelled'))")
            )
            .field("chosen_slot_id", .uuid)
            .field("session_id", .uuid, .references("sessions", "id", onDelete: .setNull))
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("closed_at", .datetime)
            .create()
        try await database.index("idx_date_polls_partie", on: "date_polls", ["partie_id", "created_at"])
        try await database.schema("date_poll_slots")
            .id()
            .field("poll_id", .uuid, .required, .references("date_polls", "id", onDelete: .cascade))
            .field("starts_at", .datetime, .required)
            .unique(on: "poll_id", "starts_at", name: "uq_date_poll_slots_time")
            .create()
        try await database.schema("date_poll_answers")
            .id()
            .field("poll_id", .uuid, .required, .references("date_polls", "id", onDelete: .cascade))
            .field("slot_id", .uuid, .required, .references("date_poll_slots", "id", onDelete: .cascade))
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .field(
                "answer", .sql(unsafeRaw: "VARCHAR(5)"), .required,
                .sql(unsafeRaw: "CHECK (answer IN ('yes', 'maybe', 'no'))")
            )
            .field("updated_at", .datetime, .required)
            .unique(on: "slot_id", "user_id", name: "uq_date_poll_answers_pair")
            .create()
        try await database.index("idx_date_poll_answers_poll", on: "date_poll_answers", ["poll_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("date_poll_answers").delete()
        try await database.schema("date_poll_slots").delete()
        try await database.schema("date_polls").delete()
        try await database.schema("session_rsvps").delete()
    }
}
