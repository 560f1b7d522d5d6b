import Fluent
import SQLKit

struct CreateScenarios: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("scenarios")
            .field("id", .int, .identifier(auto: true))
            .field("title", .sql(unsafeRaw: "VARCHAR(200)"), .required)
            .field("description", .sql(unsafeRaw: "TEXT"))
            .field("created_by", .int, .references("users", "id", onDelete: .setNull))
            .field("created_at", .datetime, .required, .sql(unsafeRaw: "DEFAULT CURRENT_TIMESTAMP"))
            .create()
        try await database.index("idx_scenarios_created_by", on: "scenarios", ["created_by"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("scenarios").delete()
    }
}

struct CreateParties: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("parties")
            .field("id", .int, .identifier(auto: true))
            .field("scenario_id", .int, .references("scenarios", "id", onDelete: .setNull))
            .field("mj_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .field("name", .sql(unsafeRaw: "VARCHAR(100)"), .required)
            .field("invite_code", .sql(unsafeRaw: "VARCHAR(16)"), .required)
            .field("created_at", .datetime, .required, .sql(unsafeRaw: "DEFAULT CURRENT_TIMESTAMP"))
            .field("updated_at", .datetime, .required, .sql(unsafeRaw: "DEFAULT CURRENT_TIMESTAMP"))
            .unique(on: "invite_code", name: "uq_parties_invite_code")
            .create()
        try await database.index("idx_parties_mj", on: "parties", ["mj_id"])
        try await database.index("idx_parties_scenario", on: "parties", ["scenario_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("parties").delete()
    }
}

struct CreatePartieMembers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("partie_members")
            .id()
            .field("partie_id", .int, .required, .references("parties", "id", onDelete: .cascade))
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .field("joined_at", .datetime, .required, .sql(unsafeRaw: "DEFAULT CURRENT_TIMESTAMP"))
            .unique(on: "partie_id", "user_id", name: "uq_partie_members_pair")
            .create()
        try await database.index("idx_partie_members_user", on: "partie_members", ["user_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("partie_members").delete()
    }
}

struct CreateCharacters: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("characters")
            .id()
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .field("partie_id", .int, .references("parties", "id", onDelete: .setNull))
            .field("name", .sql(unsafeRaw: "VARCHAR(100)"), .required)
            .field("created_at", .datetime, .required, .sql(unsafeRaw: "DEFAULT CURRENT_TIMESTAMP"))
            .create()
        try await database.index("idx_characters_user", on: "characters", ["user_id"])
        try await database.index("idx_characters_partie", on: "characters", ["partie_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("characters").delete()
    }
}
