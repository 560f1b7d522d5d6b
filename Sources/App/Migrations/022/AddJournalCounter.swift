import Fluent

/// The last number handed out in each session's journal, kept in the session's row: the write
/// that takes the next one locks that row, so on PostgreSQL one statement can number an event
/// correctly from any snapshot (a `MAX(seq)` read in the statement that waited for the lock would
/// see the journal as it was before the wait).
struct AddJournalCounter: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.transaction { db in
            try await db.schema("sessions").field("journal_seq", .int64, .required, .sql(.default(0))).update()
            try await db.sql.raw(
                """
                UPDATE sessions SET journal_seq =
                  COALESCE((SELECT MAX(e.seq) FROM session_events e WHERE e.session_id = sessions.id), 0)
                """
            ).run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sessions").deleteField("journal_seq").update()
    }
}
