import Fluent
import SQLKit

/// The usual length of an evening, for the end time of calendar events.
struct AddPartieSessionLength: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("parties")
            .field(
                "session_length_minutes", .int, .required,
                .sql(unsafeRaw: "DEFAULT 240 CHECK (session_length_minutes BETWEEN 15 AND 1440)")
            )
            .update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("parties").deleteField("session_length_minutes").update()
    }
}

/// Bumped on every change of a session, so calendars replace their copy (RFC 5545 SEQUENCE).
struct AddSessionRevision: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("sessions")
            .field("revision", .int, .required, .sql(unsafeRaw: "DEFAULT 0"))
            .update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sessions").deleteField("revision").update()
    }
}

/// When a person last did something (not merely kept the connection), and since when they have
/// been announced idle.
struct AddPresenceActivity: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("session_presence").field("last_active_at", .datetime).update()
        try await database.schema("session_presence").field("idle_since", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("session_presence").deleteField("idle_since").update()
        try await database.schema("session_presence").deleteField("last_active_at").update()
    }
}

/// One calendar subscription per user; only the SHA-256 of its secret is kept, as for tokens.
struct CreateCalendarFeeds: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("calendar_feeds")
            .id()
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .field("secret_hash", .sql(unsafeRaw: "VARCHAR(64)"), .required)
            .field("created_at", .datetime, .required)
            .field("last_used_at", .datetime)
            .unique(on: "user_id", name: "uq_calendar_feeds_user")
            .unique(on: "secret_hash", name: "uq_calendar_feeds_secret")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("calendar_feeds").delete()
    }
}
