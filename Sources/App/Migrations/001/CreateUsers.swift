import Fluent
import SQLKit

struct CreateUsers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("users")
            .field("id", .int, .identifier(auto: true))
            .field("username", .sql(unsafeRaw: "VARCHAR(32)"), .required)
            .field("username_key", .sql(unsafeRaw: "VARCHAR(32)"), .required)
            .field("password_hash", .string, .required)
            .field("display_name", .sql(unsafeRaw: "VARCHAR(64)"))
            .field("created_at", .datetime, .required, .sql(unsafeRaw: "DEFAULT CURRENT_TIMESTAMP"))
            .field("updated_at", .datetime, .required, .sql(unsafeRaw: "DEFAULT CURRENT_TIMESTAMP"))
            .unique(on: "username_key", name: "uq_users_username_key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("users").delete()
    }
}

struct CreateUserTokens: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("user_tokens")
            .id()
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .field("token_hash", .sql(unsafeRaw: "CHAR(64)"), .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .unique(on: "token_hash", name: "uq_user_tokens_hash")
            .create()
        try await database.index("idx_user_tokens_user", on: "user_tokens", ["user_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("user_tokens").delete()
    }
}
