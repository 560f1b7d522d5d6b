import Fluent

/// A counter of what a partie's page shows (its polls, its sessions' answers) that members wait on
/// for its next change (`GET /api/parties/{id}/changes`).
struct AddPartieRevision: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("parties").field("revision", .int64, .required, .sql(.default(0))).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("parties").deleteField("revision").update()
    }
}
