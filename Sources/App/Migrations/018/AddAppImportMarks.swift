import Fluent
import SQLKit

/// What `etrange import-app` keeps of the mobile app's accounts and parties: an account whose
/// stored hash is bcrypt of the app's unsalted SHA-256 (until its first login re-hashes the
/// password), and the UUID the app's QR codes carry, still accepted as an invitation code.
struct AddAppImportMarks: AsyncMigration {
    static let inviteIndex = "uq_parties_legacy_invite"

    func prepare(on database: any Database) async throws {
        // SQLite adds a NOT NULL column only with a default.
        try await database.schema(User.schema)
            .field("legacy_sha256", .bool, .required, .sql(.default(false)))
            .update()
        try await database.schema(Partie.schema).field("legacy_invite", .uuid).update()
        try await database.sql.create(index: Self.inviteIndex).unique().on(Partie.schema).column("legacy_invite")
            .run()
    }

    func revert(on database: any Database) async throws {
        try await database.sql.drop(index: Self.inviteIndex).run()
        try await database.schema(Partie.schema).deleteField("legacy_invite").update()
        try await database.schema(User.schema).deleteField("legacy_sha256").update()
    }
}
