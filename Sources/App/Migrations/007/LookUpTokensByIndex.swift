import Fluent
import FluentPostgresDriver
import SQLKit

/// A token's digest is bound as `text`, and PostgreSQL compares a `char(64)` column with a `text`
/// value by converting the column, which the unique index on it cannot serve: each request whose
/// token was not in the cache scanned all of `user_tokens`. At 19,600 tokens that was 15 ms a
/// lookup, and in the fan-out benchmark those scans took more than a core of PostgreSQL, which
/// queued every message behind them (BENCHMARKS.md). As `text` the index answers. SQLite compares
/// by the column's affinity, already text, and keeps its column.
struct LookUpTokensByIndex: AsyncMigration {
    func prepare(on database: any Database) async throws {
        guard database is any PostgresDatabase else { return }
        try await database.sql.raw(
            """
            ALTER TABLE \(ident: UserToken.schema) ALTER COLUMN token_hash TYPE TEXT
            """
        ).run()
    }

    func revert(on database: any Database) async throws {
        guard database is any PostgresDatabase else { return }
        try await database.sql.raw(
            """
            ALTER TABLE \(ident: UserToken.schema) ALTER COLUMN token_hash TYPE CHAR(64)
            """
        ).run()
    }
}
