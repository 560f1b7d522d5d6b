import Fluent
import Foundation
import SQLKit
import Testing

@testable import App

/// PostgreSQL's chat line in one statement (`Chat.postAtOnce`, `PostgresLineStatement`): it writes
/// only what the state it read allows, and two instances number one journal without a gap.
@Suite(.enabled(if: TestDatabase.postgresURL != nil, "needs ETRANGE_TEST_POSTGRES_URL"))
struct PostgresLineTests {
    /// The session is paused between the writer's read and the statement: the statement writes
    /// nothing, not even a number. Read again, the line goes in whole: its number from the
    /// session's counter, the event's copy with the line's id, the writer marked active.
    @Test func theLineStatementWritesNothingOnceWhatItReadHasChanged() async throws {
        try await withCardTable(.postgres) { api, t in
            let session = t.session
            let player = try #require(try await User.find(t.table.player.id, on: api.db))
            let read = try #require(try await Participation.writerState(t.table.player.id, in: session.id, on: api.db))
            try await api.move(session, .pause, t.table)
            let counter = try await Self.counter(session.id, api)
            let late = Chat.NewLine(
                kind: .text, body: "Trop tard", author: player, sessionID: session.id, at: api.clock.now())
            let stale = PostgresLineStatement(
                late, by: t.table.player.id, expecting: read, event: UUID(), data: "{}", visibility: .all, audience: [])
            #expect(try await api.db.first(stale) == nil)
            #expect(try await Self.counter(session.id, api) == counter, "no number taken")
            #expect(try await SessionMessage.query(on: api.db).filter(\.$body == "Trop tard").count() == 0)

            api.clock.advance(by: 60)
            let line = Chat.NewLine(
                kind: .text, body: "À temps", author: player, sessionID: session.id, at: api.clock.now())
            let posted = try await Chat.postAtOnce(line, by: t.table.player.id, isMJ: false, on: api.db)
            #expect(try await Self.counter(session.id, api) == counter + 1)
            let event = try #require(
                try await api.db.sql.raw(
                    """
                    SELECT seq, data, message_id FROM \(ident: SessionEvent.schema)
                    WHERE session_id = \(bind: session.id) ORDER BY seq DESC LIMIT 1
                    """
                ).first())
            #expect(try event.decode(column: "seq", as: Int.self) == counter + 1)
            #expect(try event.decode(column: "message_id", as: Int?.self) == posted.message.id)
            let text = try event.decode(column: "data", as: String.self)
            #expect(text == posted.json, "the answer is the event's copy")
            let copy = try JSONCoding.decoder.decode(MessageResponse.self, from: Data(text.utf8))
            #expect(copy.id == posted.message.id && copy.body == "À temps")
            let presence = try #require(
                try await SessionPresence.query(on: api.db).filter(\.$session.$id == session.id)
                    .filter(\.$user.$id == t.table.player.id).first())
            #expect(presence.lastActiveAt == line.at)
        }
    }

    /// Lines and draws sent at once through two instances: one journal, numbered 1…n without a gap
    /// or a number twice, its counter at n, and the lines' ids in the order of their numbers (a
    /// client pages the chat by id).
    @Test func twoInstancesNumberOneJournalWithoutGaps() async throws {
        try await withCardTable(.postgres) { api, t in
            try await api.withSecondInstance { second in
                let session = t.session
                let before = try await Self.counter(session.id, api)
                let statuses = try await withThrowingTaskGroup(of: Int.self) { tasks in
                    for index in 0..<40 {
                        let instance = index.isMultiple(of: 2) ? api : second
                        tasks.addTask {
                            if index % 5 == 4 {
                                return Int(
                                    try await instance.drawCard(session, t.table.mj, ["visibility": "public"]).status
                                        .code)
                            }
                            let author = index % 3 == 0 ? t.table.mj : t.table.player
                            return Int(
                                try await instance.send(
                                    .POST, "/api/sessions/\(session.id)/messages", token: author.token,
                                    json: ["body": "ligne \(index)"]
                                ).status.code)
                        }
                    }
                    return try await tasks.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses.allSatisfy { $0 == 201 }, "\(statuses)")
                let rows = try await api.db.sql.raw(
                    """
                    SELECT seq, type, message_id FROM \(ident: SessionEvent.schema)
                    WHERE session_id = \(bind: session.id) ORDER BY seq
                    """
                ).all()
                let seqs = try rows.map { try $0.decode(column: "seq", as: Int.self) }
                #expect(seqs == Array(1...seqs.count), "no gap, no number twice")
                #expect(try await Self.counter(session.id, api) == seqs.count)
                #expect(seqs.count >= before + 40)
                let lines = try rows.filter {
                    try $0.decode(column: "seq", as: Int.self) > before
                        && $0.decode(column: "type", as: String.self) == "chat.message"
                }.compactMap { try $0.decode(column: "message_id", as: Int?.self) }
                #expect(lines.count == 40, "32 lines and the 8 draws' lines")
                #expect(lines == lines.sorted(), "ids in the order of the numbers")
            }
        }
    }

    private static func counter(_ session: UUID, _ api: TestAPI) async throws -> Int {
        let row = try #require(
            try await api.db.sql.raw("SELECT journal_seq FROM \(ident: Session.schema) WHERE id = \(bind: session)")
                .first())
        return try row.decode(column: "journal_seq", as: Int.self)
    }
}
