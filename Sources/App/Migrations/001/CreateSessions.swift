import Fluent
import SQLKit

struct CreateSessions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("sessions")
            .id()
            .field("partie_id", .int, .required, .references("parties", "id", onDelete: .cascade))
            .field("name", .sql(unsafeRaw: "VARCHAR(100)"), .required)
            .field("description", .sql(unsafeRaw: "TEXT"))
            .field(
                "status", .sql(unsafeRaw: "VARCHAR(20)"), .required,
                .sql(
                    unsafeRaw: """
                        DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'active', 'paused', 'completed', 'cancelled'))
                        """)
            )
            .field("scheduled_date", .datetime)
            .field("started_at", .datetime)
            .field("ended_at", .datetime)
            .field("duration_minutes", .int, .sql(unsafeRaw: "CHECK (duration_minutes >= 0)"))
            .field("summary", .sql(unsafeRaw: "TEXT"))
            .field("key_events", .json)
            .field("character_developments", .json)
            .field("notes", .sql(unsafeRaw: "TEXT"))
            .field("max_players", .int, .required, .sql(unsafeRaw: "DEFAULT 6 CHECK (max_players BETWEEN 1 AND 20)"))
            .field("allow_late_join", .bool, .required, .sql(unsafeRaw: "DEFAULT true"))
            .field("voice_channel_id", .sql(unsafeRaw: "VARCHAR(100)"))
            .field("active_seconds", .double, .required, .sql(unsafeRaw: "DEFAULT 0 CHECK (active_seconds >= 0)"))
            .field("active_since", .datetime)
            .field("created_at", .datetime, .required, .sql(unsafeRaw: "DEFAULT CURRENT_TIMESTAMP"))
            .field("updated_at", .datetime, .required, .sql(unsafeRaw: "DEFAULT CURRENT_TIMESTAMP"))
            .create()
        try await database.index("idx_sessions_partie_created", on: "sessions", ["partie_id", "created_at"])
        try await database.index("idx_sessions_status", on: "sessions", ["status"])
        // One game at a time, enforced by the database itself so that racing starts cannot both win.
        try await database.sql.raw(
            """
            CREATE UNIQUE INDEX uq_sessions_one_running ON sessions (partie_id)
            WHERE status IN ('active', 'paused')
            """
        ).run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sessions").delete()
    }
}

struct CreateSessionPresence: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("session_presence")
            .id()
            .field("session_id", .uuid, .required, .references("sessions", "id", onDelete: .cascade))
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .field("character_id", .uuid, .references("characters", "id", onDelete: .setNull))
            .field("is_online", .bool, .required, .sql(unsafeRaw: "DEFAULT true"))
            .field("last_seen", .datetime, .required, .sql(unsafeRaw: "DEFAULT CURRENT_TIMESTAMP"))
            .field("joined_at", .datetime, .required, .sql(unsafeRaw: "DEFAULT CURRENT_TIMESTAMP"))
            .field("left_at", .datetime)
            .unique(on: "session_id", "user_id", name: "uq_session_presence_pair")
            .create()
        try await database.index("idx_session_presence_user", on: "session_presence", ["user_id"])
        try await database.index("idx_session_presence_character", on: "session_presence", ["character_id"])
        try await database.index("idx_session_presence_sweep", on: "session_presence", ["is_online", "last_seen"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("session_presence").delete()
    }
}

struct CreateSessionParticipants: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("session_participants")
            .id()
            .field("session_id", .uuid, .required, .references("sessions", "id", onDelete: .cascade))
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .field("character_id", .uuid, .references("characters", "id", onDelete: .setNull))
            .field(
                "role", .sql(unsafeRaw: "VARCHAR(20)"), .required,
                .sql(
                    unsafeRaw: """
                        DEFAULT 'player' CHECK (role IN ('master', 'player', 'observer'))
                        """)
            )
            .field("joined_at", .datetime, .required, .sql(unsafeRaw: "DEFAULT CURRENT_TIMESTAMP"))
            .field("left_at", .datetime)
            .field("total_time_minutes", .int, .sql(unsafeRaw: "CHECK (total_time_minutes >= 0)"))
            .field("played_seconds", .double, .required, .sql(unsafeRaw: "DEFAULT 0 CHECK (played_seconds >= 0)"))
            .field("playing_since", .datetime)
            .field("created_at", .datetime, .required, .sql(unsafeRaw: "DEFAULT CURRENT_TIMESTAMP"))
            .field("updated_at", .datetime, .required, .sql(unsafeRaw: "DEFAULT CURRENT_TIMESTAMP"))
            .field("is_active", .bool, .required, .sql(unsafeRaw: "DEFAULT true"))
            // Rejoining is a reconnection of the same participant, never a second row.
            .unique(on: "session_id", "user_id", name: "uq_session_participants_pair")
            .create()
        try await database.index("idx_session_participants_user", on: "session_participants", ["user_id"])
        try await database.index("idx_session_participants_character", on: "session_participants", ["character_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("session_participants").delete()
    }
}
