import Fluent

/// The reference lists `etrange import-reference` loads: one row per entry, a name once per list.
struct CreateReferenceEntries: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ReferenceEntry.schema)
            .field("id", .int, .identifier(auto: true))
            .field("kind", .string, .required)
            .field("name", .string, .required)
            .field("parent", .string)
            .field("raises", .string)
            .unique(on: "kind", "name", name: "uq_reference_entries_kind_name")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ReferenceEntry.schema).delete()
    }
}
