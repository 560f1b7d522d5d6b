import Fluent
import Foundation
import SQLKit
import Testing

@testable import App

/// `AddJournalCounter`: a database that already has journals gets each session's counter where its
/// journal ends, so the next event takes the next number, on both databases; and the migration
/// reverts.
@Suite struct JournalCounterTests {
    @Test(arguments: TestDatabase.enabled)
    func theCounterStartsWhereEachJournalEnds(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            let session = t.session.id
            for index in 0..<3 {
                let response = try await api.send(
                    .POST, "/api/sessions/\(session)/messages", token: t.table.player.token,
                    json: ["body": "avant \(index)"])
                #expect(response.status == .created)
            }
            let last = try await Self.lastSeq(session, api)
            #expect(last >= 3)

            try await AddJournalCounter().revert(on: api.db)
            try await AddJournalCounter().prepare(on: api.db)
            let row = try #require(
                try await api.db.sql.raw("SELECT journal_seq FROM \(ident: Session.schema) WHERE id = \(bind: session)")
                    .first())
            #expect(try row.decode(column: "journal_seq", as: Int.self) == last)

            let after = try await api.send(
                .POST, "/api/sessions/\(session)/messages", token: t.table.player.token, json: ["body": "après"])
            #expect(after.status == .created)
            #expect(try await Self.lastSeq(session, api) == last + 1)
        }
    }

    private static func lastSeq(_ session: UUID, _ api: TestAPI) async throws -> Int {
        try await SessionEvent.query(on: api.db).filter(\.$session.$id == session).max(\.$seq) ?? 0
    }
}
