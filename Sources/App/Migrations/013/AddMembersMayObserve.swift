import Fluent

/// Whether the members of a partie may sit in on its running sessions as observers by
/// themselves; off by default, so only the MJ seats an observer until they say otherwise.
struct AddMembersMayObserve: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("parties")
            .field("members_may_observe", .bool, .required, .sql(.default(false)))
            .update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("parties").deleteField("members_may_observe").update()
    }
}
