import FluentKit
import NIOConcurrencyHelpers
import NIOPosix
import SQLKit
import SQLiteStatementCache
import Vapor

/// SQLite's group commit: the writes that arrive while a transaction runs wait for the next one,
/// and one transaction takes them all, each in its own savepoint, in one trip to a blocking
/// thread, on a connection that keeps its statements compiled. Through Fluent a chat line was six
/// statements, each compiled anew and each a hop to the thread pool and back, one line after the
/// other: about a millisecond of the single writer a line, of which SQLite's own work was under a
/// tenth (BENCHMARKS.md, the profile of a chat line).
///
/// While a batch runs it holds the writer's only connection (`OneLoopDatabaseConfiguration`), so
/// every other write waits as it waits for any transaction, and SQLite never sees two writers.
/// A change that throws rolls back to its savepoint alone; the others commit. No one is answered
/// before the transaction that holds their change has committed, so an acknowledged write is as
/// durable as any other (`synchronous` is the writer's).
///
/// The batch is bounded by size (`maxChanges`) and by time in the simplest way: it never waits for
/// more changes than arrived while the one before it ran. The running transaction is the window:
/// at a few lines a second each goes alone at once, and under load batches grow by themselves,
/// where a timer would add its wait to every line of a quiet table.
final class GroupCommit: LifecycleHandler, Sendable {
    /// How many changes one transaction takes at most: enough to share a commit among a busy
    /// instance's lines (the ceiling's gain flattens past fifty, BENCHMARKS.md), few enough that a
    /// transaction stays well under a millisecond's work.
    static let maxChanges = 64

    /// How long the batches may hold the writer's Fluent connection in a row before the other
    /// writes waiting for it (a heartbeat, a change of seat) get their turn: a few batches' time.
    static let holdLimit = Duration.milliseconds(5)

    private let connection: SQLiteCompiledConnection
    private let writer: @Sendable () -> any Database
    private let threadPool: NIOThreadPool
    private let state = NIOLockedValueBox(State())

    private struct State {
        var queue: [Pending] = []
        var draining = false
        /// Drains not yet ended: one that has answered its last batch still holds the writer's
        /// connection until it hands it back.
        var drains = 0
        var stopped = false
        var stopping: [CheckedContinuation<Void, Never>] = []
        var batches = 0
        var changes = 0
    }

    fileprivate struct Pending: Sendable {
        /// Makes the change in its savepoint and returns how to answer once the commit is known.
        let apply: @Sendable (Batch) -> @Sendable (Result<Void, any Error>) -> Void
        /// Answers a change that never reached a transaction.
        let fail: @Sendable (any Error) -> Void
    }

    /// `writer` gives the database whose connection a batch holds: the application's writer.
    init(path: String, fullSync: Bool, threadPool: NIOThreadPool, writer: @escaping @Sendable () -> any Database) {
        connection = SQLiteCompiledConnection(path: path, role: .writer(fullSync: fullSync))
        self.threadPool = threadPool
        self.writer = writer
    }

    /// How many transactions have ended so far and how many changes they took: their ratio, the
    /// mean batch, is what a host reads in `/metrics` to see the commits shared. And how many
    /// changes wait for the next one, for tests.
    var batches: Int { state.withLockedValue { $0.batches } }
    var changes: Int { state.withLockedValue { $0.changes } }
    var queued: Int { state.withLockedValue { $0.queue.count } }
    var drains: Int { state.withLockedValue { $0.drains } }
    var isStopped: Bool { state.withLockedValue { $0.stopped } }

    /// Makes `change` in the next transaction and returns what it returned once that transaction
    /// has committed; what it threw if it threw (its savepoint rolled back); the commit's error if
    /// the commit failed. `change` runs on a blocking thread and must not wait for anything.
    func submit<T: Sendable>(_ change: @escaping @Sendable (Batch) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let pending = Pending(
                apply: { batch in
                    let result = Result { try batch.inSavepoint { try change(batch) } }
                    return { commit in
                        switch commit {
                        case .success: continuation.resume(with: result)
                        case .failure(let error): continuation.resume(throwing: error)
                        }
                    }
                },
                fail: { continuation.resume(throwing: $0) })
            let start = state.withLockedValue { state -> Bool? in
                guard !state.stopped else { return nil }
                state.queue.append(pending)
                guard !state.draining else { return false }
                state.draining = true
                state.drains += 1
                return true
            }
            switch start {
            case nil:
                pending.fail(AppError.unavailable("Le serveur redémarre : réessayez dans un instant.", retryAfter: 5))
            case true?: Task { await drain() }
            case false?: break
            }
        }
    }

    /// At the server's shutdown, before the databases close (a lifecycle handler registered after
    /// Fluent's stops before it): later changes are refused, the drain under way ends and hands
    /// the writer's connection back, then the compiled connection closes: no batch runs any more
    /// (batches run only in a drain), so nothing else guards it. A connection handed
    /// back to a pool already closed is closed on the blocking threads, which by then were
    /// stopped too: it stayed open (a debug build's `SQLiteConnection` asserts on it).
    func shutdownAsync(_ application: Application) async {
        await withCheckedContinuation { continuation in
            let idle = state.withLockedValue { state -> Bool in
                state.stopped = true
                if state.drains > 0 { state.stopping.append(continuation) }
                return state.drains == 0
            }
            if idle { continuation.resume() }
        }
        connection.close()
    }

    /// Runs batches until no change waits. One drain at a time: `draining` is set by the submit
    /// that finds none and cleared here, under the same lock as the queue, so no change is left
    /// waiting for a drain that has ended.
    private func drain() async {
        defer {
            let stopping = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
                state.drains -= 1
                guard state.drains == 0 else { return [] }
                defer { state.stopping = [] }
                return state.stopping
            }
            for continuation in stopping { continuation.resume() }
        }
        do {
            while try await writer().withConnection({ [self] _ in
                try await threadPool.runIfActive { [self] in writeWhileQueued() }
            }) {}
        } catch {
            // The writer could not be had (the pool timed out, the server is stopping): the
            // changes still queued are answered with that error rather than left waiting.
            let stranded = state.withLockedValue { state in
                defer {
                    state.queue = []
                    state.draining = false
                }
                return state.queue
            }
            for pending in stranded { pending.fail(error) }
        }
    }

    /// Runs batches back to back on this blocking thread while changes wait, answering each batch
    /// as soon as it has committed; true if some still wait when `holdLimit` has passed. Each
    /// batch takes what arrived while the one before it ran, without a trip back to the event loop
    /// and the pool between them: those two trips, behind the requests queued on a busy event loop,
    /// were most of a batch's time (BENCHMARKS.md).
    private func writeWhileQueued() -> Bool {
        let start = ContinuousClock.now
        while true {
            let changes = state.withLockedValue { state -> [Pending] in
                let taken = Array(state.queue.prefix(Self.maxChanges))
                state.queue.removeFirst(taken.count)
                if taken.isEmpty { state.draining = false }
                return taken
            }
            guard !changes.isEmpty else { return false }
            let answers = Batch(connection).run(changes)
            state.withLockedValue {
                $0.batches += 1
                $0.changes += changes.count
            }
            for answer in answers { answer() }
            if ContinuousClock.now - start >= Self.holdLimit { return true }
        }
    }

    /// One transaction's worth of changes, on the writer's connection, on one thread.
    final class Batch: @unchecked Sendable {
        private let connection: SQLiteCompiledConnection
        /// The next `seq` of each session's journal this transaction has written to.
        private var journal: [UUID: Int] = [:]
        /// Who this transaction has already marked active, in which session.
        private var active: Set<Presence> = []

        private struct Presence: Hashable {
            let session: UUID
            let user: Int
        }

        fileprivate init(_ connection: SQLiteCompiledConnection) {
            self.connection = connection
        }

        /// Every row of `statement`.
        func all<Statement: HotStatement>(_ statement: Statement) throws -> [any SQLRow] {
            assert(
                statement.isWellFormed,
                "\(Statement.self) must name $1…$\(statement.binds.count) in order, no *, and cast LIMIT and OFFSET")
            return try connection.all(Statement.sql, statement.binds.map(\.sqlValue))
        }

        func first<Statement: HotStatement>(_ statement: Statement) throws -> (any SQLRow)? {
            try all(statement).first
        }

        func run<Statement: HotStatement>(_ statement: Statement) throws {
            _ = try all(statement)
        }

        /// The next number of the session's journal. Read from the session's counter once per
        /// session and transaction, counted here, and written back before the commit: the batch
        /// holds SQLite's only write lock, so no one else numbers an event until it commits, and a
        /// rolled-back change gives its numbers back.
        func nextSeq(in sessionID: UUID) throws -> Int {
            if journal[sessionID] == nil {
                guard let row = try first(JournalCounterStatement(in: sessionID)) else {
                    throw AppError.notFound("Session introuvable.")
                }
                journal[sessionID] = try row.decode(column: "journal_seq", as: Int.self)
            }
            journal[sessionID]! += 1
            return journal[sessionID]!
        }

        /// Whether `userID` has yet to be marked active in the session by this transaction: a
        /// person's last activity needs writing once per commit, not once per line
        /// (`Participation.writer`).
        func firstActivity(of userID: Int, in sessionID: UUID) -> Bool {
            active.insert(Presence(session: sessionID, user: userID)).inserted
        }

        fileprivate func inSavepoint<T>(_ change: () throws -> T) throws -> T {
            let (journal, active) = (self.journal, self.active)
            try connection.execute("SAVEPOINT change")
            do {
                let result = try change()
                try connection.execute("RELEASE change")
                return result
            } catch {
                self.journal = journal
                self.active = active
                try connection.execute("ROLLBACK TO change")
                try connection.execute("RELEASE change")
                throw error
            }
        }

        /// Makes every change and commits, then gives each its answer to send.
        fileprivate func run(_ changes: [Pending]) -> [@Sendable () -> Void] {
            do {
                try connection.execute("BEGIN IMMEDIATE")
            } catch {
                return changes.map { change in { change.fail(error) } }
            }
            let answers = changes.map { $0.apply(self) }
            let commit = Result {
                for (sessionID, last) in journal { try run(SetJournalCounterStatement(last, in: sessionID)) }
                try connection.execute("COMMIT")
            }
            if case .failure = commit { try? connection.execute("ROLLBACK") }
            return answers.map { answer in { answer(commit) } }
        }
    }
}

/// The last number a session's journal has handed out (`AddJournalCounter`).
struct JournalCounterStatement: HotStatement {
    static let sql = "SELECT journal_seq FROM \(Session.schema) WHERE id = $1"
    let binds: [HotBind]

    init(in sessionID: UUID) {
        binds = [.uuid(sessionID)]
    }
}

/// A batch's numbers, written back to the session's counter before its commit.
struct SetJournalCounterStatement: HotStatement {
    static let sql = "UPDATE \(Session.schema) SET journal_seq = $1 WHERE id = $2"
    let binds: [HotBind]

    init(_ last: Int, in sessionID: UUID) {
        binds = [.int(last), .uuid(sessionID)]
    }
}

extension Application {
    /// SQLite's group commit; nil on PostgreSQL, where each write keeps its own transaction.
    var groupCommit: GroupCommit? {
        get { storage[GroupCommitKey.self] }
        set { storage[GroupCommitKey.self] = newValue }
    }

    private struct GroupCommitKey: StorageKey {
        typealias Value = GroupCommit
    }
}
