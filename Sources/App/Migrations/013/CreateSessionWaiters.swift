import Fluent

/// A full session's waiting list: one row a person, in the order of `id`.
struct CreateSessionWaiters: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("session_waiters")
            .field("id", .int, .identifier(auto: true))
            .field("session_id", .uuid, .required, .references("sessions", "id", onDelete: .cascade))
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .field("character_id", .uuid, .required, .references("characters", "id", onDelete: .cascade))
            .field("joined_at", .datetime, .required)
            .field("last_seen", .datetime, .required)
            .unique(on: "session_id", "user_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("session_waiters").delete()
    }
}
