import EtrangeDomain
import Fluent
import FluentPostgresDriver
import SQLKit

/// Each account's `Username.skeleton`, under a unique index: a name that looks like an existing
/// one (`mjа` with a Cyrillic а beside `mja`) is refused by the database itself, so two
/// simultaneous registrations cannot both pass the check.
struct AddUsernameSkeleton: AsyncMigration {
    static let index = "uq_users_username_skeleton"

    func prepare(on database: any Database) async throws {
        let sql = database.sql
        // SQLite adds a NOT NULL column only with a default; every row gets its own value below.
        try await database.schema(User.schema)
            .field("username_skeleton", .string, .required, .sql(.default("")))
            .update()
        if database is any PostgresDatabase {
            // Folding case may lengthen a name (ß is ss): 32 characters may not fit in VARCHAR(32).
            try await sql.raw("ALTER TABLE \(ident: User.schema) ALTER COLUMN username_key TYPE TEXT").run()
        }
        struct Row: Decodable {
            let id: Int
            let username: String
        }
        let rows = try await sql.select().column("id").column("username").from(User.schema).orderBy("id")
            .all(decoding: Row.self)
        var taken = Set<String>()
        for row in rows {
            var skeleton = Username.skeleton(row.username)
            // Accounts made before the rule may look alike: the oldest keeps the skeleton, the
            // others one no name can have (« # » is refused in usernames), and all keep working.
            if !taken.insert(skeleton).inserted { skeleton += "#\(row.id)" }
            try await sql.update(User.schema).set("username_skeleton", to: skeleton).where("id", .equal, row.id).run()
        }
        try await sql.create(index: Self.index).unique().on(User.schema).column("username_skeleton").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database.sql
        try await sql.drop(index: Self.index).run()
        try await database.schema(User.schema).deleteField("username_skeleton").update()
        if database is any PostgresDatabase {
            try await sql.raw("ALTER TABLE \(ident: User.schema) ALTER COLUMN username_key TYPE VARCHAR(32)").run()
        }
    }
}
