import Fluent

/// Handouts, the players each was shown to, and (on PostgreSQL, where every instance must read
/// them) their bytes. On SQLite the bytes are files beside the database; the table exists there
/// too, empty, so both schemas stay the same.
struct CreateHandouts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("handouts")
            .id()
            .field("partie_id", .int, .required, .references("parties", "id", onDelete: .cascade))
            .field("title", .string, .required)
            .field("caption", .string)
            .field("kind", .string, .required)
            .field("byte_size", .int, .required)
            .field("width", .int, .required)
            .field("height", .int, .required)
            .field("digest", .string, .required)
            .field("created_at", .datetime, .required)
            .field("shown_at", .datetime)
            .field("shown_to_everyone", .bool, .required)
            .field("shown_in_session_id", .uuid, .references("sessions", "id", onDelete: .setNull))
            .create()
        try await database.index("idx_handouts_partie", on: "handouts", ["partie_id", "created_at"])
        try await database.schema("handout_viewers")
            .id()
            .field("handout_id", .uuid, .required, .references("handouts", "id", onDelete: .cascade))
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .unique(on: "handout_id", "user_id")
            .create()
        try await database.schema("handout_contents")
            .field("handout_id", .uuid, .identifier(auto: false), .references("handouts", "id", onDelete: .cascade))
            .field("data", .data, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("handout_contents").delete()
        try await database.schema("handout_viewers").delete()
        try await database.schema("handouts").delete()
    }
}
