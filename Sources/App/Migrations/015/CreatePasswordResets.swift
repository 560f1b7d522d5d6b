import Fluent

/// The links `etrange reset-password` prints: only the SHA-256 of each secret is kept, so a copy
/// of the database resets no password.
struct CreatePasswordResets: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("password_resets")
            .id()
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .field("secret_hash", .string, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .unique(on: "secret_hash")
            .create()
        // A new link drops the user's older ones.
        try await database.index("idx_password_resets_user", on: "password_resets", ["user_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("password_resets").delete()
    }
}
