import Fluent
import FluentPostgresDriver
import SQLKit

/// A heartbeat writes `last_seen`, and the sweeper's index (`is_online, last_seen`) made every one
/// rewrite all six indexes of `session_presence`: PostgreSQL counted 0 in-place (HOT) updates out
/// of 24,478 during a benchmark, and the table bloated run after run. The sweeper now reads the
/// online rows without it, a scan of a few thousand rows every ten seconds. On PostgreSQL, pages
/// keep a third free so that the updated row fits beside the old one, which HOT needs.
struct LetHeartbeatsUpdateInPlace: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database.sql
        try await sql.drop(index: "idx_session_presence_sweep").run()
        if database is any PostgresDatabase {
            try await sql.raw("ALTER TABLE \(ident: SessionPresence.schema) SET (fillfactor = 70)").run()
        }
    }

    func revert(on database: any Database) async throws {
        if database is any PostgresDatabase {
            try await database.sql.raw("ALTER TABLE \(ident: SessionPresence.schema) RESET (fillfactor)").run()
        }
        try await database.index("idx_session_presence_sweep", on: "session_presence", ["is_online", "last_seen"])
    }
}
