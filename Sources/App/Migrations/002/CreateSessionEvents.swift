import Fluent
import SQLKit

/// The live channel's journal: every event of a session with its sequence number, kept so that a
/// client reconnecting with `since` receives what it missed.
struct CreateSessionEvents: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("session_events")
            .id()
            .field("session_id", .uuid, .required, .references("sessions", "id", onDelete: .cascade))
            .field("seq", .int, .required, .sql(unsafeRaw: "CHECK (seq > 0)"))
            .field("type", .sql(unsafeRaw: "VARCHAR(40)"), .required)
            .field("at", .datetime, .required)
            .field("data", .sql(unsafeRaw: "TEXT"), .required)
            .field(
                "visibility", .sql(unsafeRaw: "VARCHAR(10)"), .required,
                .sql(
                    unsafeRaw: """
                        DEFAULT 'all' CHECK (visibility IN ('all', 'mj'))
                        """)
            )
            .field("recipient_id", .int, .references("users", "id", onDelete: .setNull))
            .unique(on: "session_id", "seq", name: "uq_session_events_seq")
            .create()
        try await database.index("idx_session_events_at", on: "session_events", ["at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("session_events").delete()
    }
}
