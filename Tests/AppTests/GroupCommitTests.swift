import Dispatch
import Fluent
import Foundation
import SQLKit
import Testing

@testable import App

/// SQLite's group commit (`GroupCommit`): changes that wait together share a transaction, each in
/// its savepoint, and no one hears of theirs before it has committed.
@Suite struct GroupCommitTests {
    /// Holds the writer's only connection while `queue` submits changes, so that they all wait for
    /// the same transaction, then lets them go once `count` of them wait.
    static func together<T: Sendable>(
        _ api: TestAPI, count: Int, _ queue: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let group = try #require(api.app.groupCommit)
        let release = DispatchSemaphore(value: 0)
        let holding = Task {
            try await api.app.db.withConnection { _ in
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    DispatchQueue.global().async {
                        release.wait()
                        done.resume()
                    }
                }
            }
        }
        let submitted = Task { try await queue() }
        let deadline = ContinuousClock.now + .seconds(60)
        while group.queued < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        let gathered = group.queued >= count
        // The writer is let go whatever happens, or the application could not stop.
        release.signal()
        try #require(gathered, "\(count) changes never waited together")
        try await holding.value
        return try await submitted.value
    }

    @Test func aRefusedChangeRollsBackAloneAndTheOthersCommit() async throws {
        try await withApp(.sqlite) { api in
            let group = try #require(api.app.groupCommit)
            try await api.app.db.sql.raw("CREATE TABLE scratch (v INTEGER NOT NULL)").run()
            let before = group.batches
            let results = try await Self.together(api, count: 3) {
                try await withThrowingTaskGroup(of: (Int, Bool).self) { tasks in
                    for value in 1...3 {
                        tasks.addTask {
                            do {
                                try await group.submit { batch in
                                    try batch.run(ScratchStatement(value))
                                    if value == 2 { throw AppError.conflict("refusé") }
                                }
                                return (value, true)
                            } catch let error as AppError {
                                #expect(error.status == .conflict)
                                return (value, false)
                            }
                        }
                    }
                    return try await tasks.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
                }
            }
            #expect(results == [1: true, 2: false, 3: true])
            #expect(group.batches == before + 1, "the three changes shared one transaction")
            let rows = try await api.app.db.sql.raw("SELECT v FROM scratch ORDER BY v").all()
            #expect(try rows.map { try $0.decode(column: "v", as: Int.self) } == [1, 3])
        }
    }

    @Test func noChangeIsAnsweredBeforeItsTransactionCommits() async throws {
        try await withApp(.sqlite) { api in
            let group = try #require(api.app.groupCommit)
            try await api.app.db.sql.raw("CREATE TABLE scratch (v INTEGER NOT NULL)").run()
            // The second change of the batch holds it open until the first one's answer has been
            // checked, or half a second: an answer given before the commit is seen at once.
            let checked = DispatchSemaphore(value: 0)
            let seen = try await Self.together(api, count: 2) {
                async let slow: Void = group.submit { _ in _ = checked.wait(timeout: .now() + 0.5) }
                try await group.submit { batch in try batch.run(ScratchStatement(1)) }
                let rows = try await api.app.readDB.sql.raw("SELECT v FROM scratch").all()
                checked.signal()
                try await slow
                return rows.count
            }
            #expect(seen == 1, "another connection sees the row as soon as its change is answered")
        }
    }

    /// The server's shutdown waits for the drain under way to hand the writer's connection back
    /// before the databases close, and refuses what comes after. Without the wait, a connection
    /// handed back to a closed pool stayed open, and a debug build crashed on it (the suite, now
    /// and then: "SQLiteConnection was not closed before deinitializing").
    @Test func theShutdownWaitsForTheDrainThatHoldsTheWriter() async throws {
        try await withApp(.sqlite) { api in
            let group = try #require(api.app.groupCommit)
            let gate = DispatchSemaphore(value: 0)
            let slow = Task { try await group.submit { _ in _ = gate.wait(timeout: .now() + 30) } }
            while !(group.drains == 1 && group.queued == 0) { try await Task.sleep(for: .milliseconds(5)) }
            let stopping = Task {
                await group.shutdownAsync(api.app)
                return group.drains
            }
            while !group.isStopped { try await Task.sleep(for: .milliseconds(5)) }
            gate.signal()
            #expect(await stopping.value == 0, "the drain had ended when the shutdown went on")
            try await slow.value
            await #expect(throws: AppError.self) { try await group.submit { _ in } }
        }
    }

    /// Lines from several people at once in two sessions: every line answered is in its session's
    /// journal once, numbered without a gap, on both databases.
    @Test(arguments: TestDatabase.enabled)
    func concurrentLinesAreNumberedWithoutGaps(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            let other = try await Table.make(api, suffix: "b")
            let second = try await api.session(in: .active, other)
            let sessions = [t.session.id, second.id]
            let ids = try await withThrowingTaskGroup(of: Int.self) { tasks in
                for index in 0..<40 {
                    let author = index % 2 == 1 ? other.mj : index % 4 == 0 ? t.table.mj : t.table.player
                    tasks.addTask {
                        let response = try await api.send(
                            .POST, "/api/sessions/\(sessions[index % 2])/messages", token: author.token,
                            json: ["body": "ligne \(index)"])
                        #expect(response.status == .created)
                        return try response.decode(MessageResponse.self).id
                    }
                }
                return try await tasks.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(Set(ids).count == 40)
            var journaled: [Int] = []
            for session in sessions {
                let rows = try await api.app.db.sql.raw(
                    """
                    SELECT seq, message_id FROM \(ident: SessionEvent.schema)
                    WHERE session_id = \(bind: session) ORDER BY seq
                    """
                ).all()
                let seqs = try rows.map { try $0.decode(column: "seq", as: Int.self) }
                #expect(seqs == Array(1...seqs.count), "no gap, no number twice")
                journaled += try rows.compactMap { try $0.decode(column: "message_id", as: Int?.self) }
            }
            #expect(Set(journaled).count == journaled.count, "each line journaled once")
            #expect(Set(ids).isSubset(of: journaled))
        }
    }

    /// On SQLite, lines that wait together share a transaction; one from someone who may not write
    /// there is refused with its own reason and takes nothing with it.
    @Test func aRefusedLineLeavesTheOthersOfItsBatch() async throws {
        try await withCardTable(.sqlite) { api, t in
            let group = try #require(api.app.groupCommit)
            let before = group.batches
            let outsider = try await api.register("passant")
            try await api.join(outsider, t.table.partie)
            let path = "/api/sessions/\(t.session.id)/messages"
            let statuses = try await Self.together(api, count: 5) {
                try await withThrowingTaskGroup(of: (String, Int).self) { tasks in
                    for (index, author) in [t.table.mj, t.table.player, outsider, t.table.mj, t.table.player]
                        .enumerated()
                    {
                        tasks.addTask {
                            let response = try await api.send(
                                .POST, path, token: author.token, json: ["body": "ligne \(index)"])
                            return ("ligne \(index)", Int(response.status.code))
                        }
                    }
                    return try await tasks.reduce(into: [String: Int]()) { $0[$1.0] = $1.1 }
                }
            }
            #expect(statuses == ["ligne 0": 201, "ligne 1": 201, "ligne 2": 403, "ligne 3": 201, "ligne 4": 201])
            #expect(group.batches == before + 1)
            let page = try await api.send(.GET, path, token: t.table.mj.token).decode(MessagePage.self)
            #expect(
                page.items.filter { $0.kind == .text }.map(\.body).sorted() == [
                    "ligne 0", "ligne 1", "ligne 3", "ligne 4",
                ])
            let seqs = try await api.app.db.sql.raw(
                "SELECT seq FROM \(ident: SessionEvent.schema) WHERE session_id = \(bind: t.session.id) ORDER BY seq"
            ).all().map { try $0.decode(column: "seq", as: Int.self) }
            #expect(seqs == Array(1...seqs.count))
        }
    }
}

extension GroupCommitTests {
    /// Draws go the same way as lines: a public draw, a line and a refused draw share one
    /// transaction; the draw's row, its chat line and its event are there, numbered without a gap.
    @Test func aDrawSharesItsBatchWithLines() async throws {
        try await withCardTable(.sqlite) { api, t in
            let group = try #require(api.app.groupCommit)
            let before = group.batches
            let outsider = try await api.register("passant")
            try await api.join(outsider, t.table.partie)
            let unseated = try await api.createCharacter(outsider, name: "Odile", partieID: t.table.partie.id)
            let session = t.session
            let statuses = try await GroupCommitTests.together(api, count: 3) {
                try await withThrowingTaskGroup(of: (String, Int).self) { tasks in
                    tasks.addTask {
                        let drawn = try await api.drawCard(
                            session, t.table.mj, ["visibility": "public", "reason": "Un coup de chance"])
                        return ("draw", Int(drawn.status.code))
                    }
                    tasks.addTask {
                        let refused = try await api.drawCard(
                            session, outsider, ["visibility": "public", "character_id": unseated.id.uuidString])
                        return ("refused", Int(refused.status.code))
                    }
                    tasks.addTask {
                        let line = try await api.send(
                            .POST, "/api/sessions/\(session.id)/messages", token: t.table.player.token,
                            json: ["body": "À moi"])
                        return ("line", Int(line.status.code))
                    }
                    return try await tasks.reduce(into: [String: Int]()) { $0[$1.0] = $1.1 }
                }
            }
            #expect(statuses == ["draw": 201, "refused": 403, "line": 201])
            #expect(group.batches == before + 1, "the three shared one transaction")
            let events = try await api.app.db.sql.raw(
                """
                SELECT seq, type FROM \(ident: SessionEvent.schema)
                WHERE session_id = \(bind: session.id) ORDER BY seq
                """
            ).all().map { (try $0.decode(column: "seq", as: Int.self), try $0.decode(column: "type", as: String.self)) }
            #expect(events.map(\.0) == Array(1...events.count))
            #expect(events.suffix(3).map(\.1).sorted() == ["cards.drawn", "chat.message", "chat.message"])
            let draws = try await api.send(.GET, "/api/sessions/\(session.id)/draws", token: t.table.mj.token)
            #expect(draws.text.contains("Un coup de chance"))
        }
    }
}

private struct ScratchStatement: HotStatement {
    static let sql = "INSERT INTO scratch (v) VALUES ($1)"
    let binds: [HotBind]

    init(_ value: Int) {
        binds = [.int(value)]
    }
}
