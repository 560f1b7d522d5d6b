import Fluent
import SQLKit

/// A character's own suit (its "figure"), whose J, Q and K make the pot.
struct AddCharacterFigure: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("characters")
            .field(
                "figure", .sql(unsafeRaw: "VARCHAR(10)"),
                .sql(unsafeRaw: "CHECK (figure IN ('spades', 'hearts', 'diamonds', 'clubs'))")
            )
            .update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("characters").deleteField("figure").update()
    }
}

/// Which card value table a session plays with.
struct AddSessionCardValues: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("sessions")
            .field("card_values", .sql(unsafeRaw: "VARCHAR(20)"), .required, .sql(unsafeRaw: "DEFAULT 'current'"))
            .update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sessions").deleteField("card_values").update()
    }
}

struct CreateSessionDecks: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("session_decks")
            .id()
            .field("session_id", .uuid, .required, .references("sessions", "id", onDelete: .cascade))
            // The character's id, or `mj:<user id>` for the MJ's own deck.
            .field("deck_key", .sql(unsafeRaw: "VARCHAR(60)"), .required)
            .field("owner_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .field("character_id", .uuid, .references("characters", "id", onDelete: .setNull))
            .field("state", .sql(unsafeRaw: "TEXT"), .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "session_id", "deck_key", name: "uq_session_decks_key")
            .create()
        try await database.index("idx_session_decks_owner", on: "session_decks", ["owner_id"])
        try await database.index("idx_session_decks_character", on: "session_decks", ["character_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("session_decks").delete()
    }
}

struct CreateSessionDraws: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("session_draws")
            .id()
            .field("session_id", .uuid, .required, .references("sessions", "id", onDelete: .cascade))
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .field("character_id", .uuid, .references("characters", "id", onDelete: .setNull))
            .field(
                "mode", .sql(unsafeRaw: "VARCHAR(20)"), .required,
                .sql(unsafeRaw: "CHECK (mode IN ('classic', 'advantage', 'disadvantage'))")
            )
            .field(
                "visibility", .sql(unsafeRaw: "VARCHAR(10)"), .required,
                .sql(unsafeRaw: "CHECK (visibility IN ('public', 'mj'))")
            )
            .field("reason", .sql(unsafeRaw: "TEXT"))
            .field("result", .sql(unsafeRaw: "TEXT"), .required)
            .field("total", .int, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.index(
            "idx_session_draws_session_created", on: "session_draws", ["session_id", "created_at"])
        try await database.index("idx_session_draws_user", on: "session_draws", ["user_id"])
        try await database.index("idx_session_draws_character", on: "session_draws", ["character_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("session_draws").delete()
    }
}

struct CreateSessionMessages: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("session_messages")
            .field("id", .int, .identifier(auto: true))
            .field("session_id", .uuid, .required, .references("sessions", "id", onDelete: .cascade))
            .field("user_id", .int, .references("users", "id", onDelete: .setNull))
            .field(
                "kind", .sql(unsafeRaw: "VARCHAR(10)"), .required,
                .sql(unsafeRaw: "CHECK (kind IN ('text', 'draw', 'system'))")
            )
            .field("body", .sql(unsafeRaw: "TEXT"), .required)
            .field("draw_id", .uuid, .references("session_draws", "id", onDelete: .setNull))
            .field("created_at", .datetime, .required)
            .create()
        try await database.index("idx_session_messages_session", on: "session_messages", ["session_id", "id"])
        try await database.index("idx_session_messages_user", on: "session_messages", ["user_id"])
        try await database.index("idx_session_messages_draw", on: "session_messages", ["draw_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("session_messages").delete()
    }
}
