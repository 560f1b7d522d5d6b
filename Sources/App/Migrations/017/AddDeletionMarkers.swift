import Fluent
import SQLKit

/// What a deletion leaves behind. A deleted character stays as a tombstone (`deleted_at`), so
/// that the draws and seats that name it keep naming a row; a deleted account stays as an
/// anonymous row (`deleted_at`, `former_number`), so that what it wrote in shared games keeps an
/// author. The unique index makes two deletions at once unable to share a number.
struct AddDeletionMarkers: AsyncMigration {
    static let formerNumberIndex = "uq_users_former_number"

    func prepare(on database: any Database) async throws {
        try await database.schema("characters").field("deleted_at", .datetime).update()
        try await database.schema("users").field("deleted_at", .datetime).update()
        try await database.schema("users").field("former_number", .int).update()
        try await database.sql.create(index: Self.formerNumberIndex).unique().on("users").column("former_number")
            .run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.drop(index: Self.formerNumberIndex).run()
        try await database.schema("users").deleteField("former_number").update()
        try await database.schema("users").deleteField("deleted_at").update()
        try await database.schema("characters").deleteField("deleted_at").update()
    }
}
