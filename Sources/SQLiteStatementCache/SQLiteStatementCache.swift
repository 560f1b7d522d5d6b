import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit

/// Reading connections to the SQLite file that keep their compiled statements, for the hot reads
/// (`HotStatement`). SQLiteNIO compiles every statement at every call: for the session list that
/// was 80 of its 95 µs in the database (measured with Python's sqlite3 on the bench's file, with
/// and without a statement cache), and `sqlite3Prepare` was the largest item of its profile.
/// Values are bound and rows read as SQLiteKit does, through its `SQLiteDataEncoder` and
/// `SQLiteDataDecoder`, so a hot statement reads exactly what it read through Fluent.
///
/// One connection per thread of the blocking pool it is given, where the work runs as SQLiteNIO's
/// does: a job always finds a free connection, never waits for one. The number of connections is
/// the pool's, never a second figure to keep equal to it. They open at their first use and close
/// with `close()`.
public final class SQLiteStatementCache: Sendable {
    private let threadPool: NIOThreadPool
    private let slots: [Slot]
    private let freeSlots: NIOLockedValueBox<[Int]>
    private let encoder = SQLiteDataEncoder()

    public init(path: String, threadPool: NIOThreadPool) {
        self.threadPool = threadPool
        slots = (0..<threadPool.numberOfThreads).map { _ in Slot(path: path) }
        freeSlots = NIOLockedValueBox(Array(slots.indices))
    }

    public func all(sql: String, binds: [any Encodable & Sendable], on eventLoop: any EventLoop) async throws
        -> [any SQLRow]
    {
        let values = try binds.map { try encoder.encode($0) }
        let free = freeSlots
        return try await threadPool.runIfActive(eventLoop: eventLoop) { [slots] in
            // A slot is always free, as no more jobs run than the pool has threads; the first
            // slot's lock would only make a job wait if one day that were no longer so.
            let index = free.withLockedValue { $0.popLast() }
            defer { if let index { free.withLockedValue { $0.append(index) } } }
            let slot = slots[index ?? 0]
            return try slot.lock.withLock { try slot.connection.run(sql, values) }
        }.get()
    }

    /// How many statements the connections have compiled since they opened, for tests.
    public var compilations: Int {
        slots.reduce(0) { total, slot in total + slot.lock.withLock { slot.connection.compilations } }
    }

    /// Finalizes the statements and closes the connections; a later read is refused.
    public func close() {
        for slot in slots {
            slot.lock.withLock { slot.connection.close() }
        }
    }

    /// A connection, used under its lock only.
    private final class Slot: Sendable {
        let lock = NIOLock()
        let connection: SQLiteCompiledConnection

        init(path: String) {
            connection = SQLiteCompiledConnection(path: path, role: .reader)
        }
    }
}

/// A statement's column names, shared by its rows.
final class SQLiteColumns: Sendable {
    let names: [String]
    let offsets: [String: Int]

    init(names: [String]) {
        self.names = names
        offsets = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// A row read through the statement cache, decoded as SQLiteKit decodes its own rows.
struct CachedStatementRow: SQLRow {
    private static let decoder = SQLiteDataDecoder()
    let columns: SQLiteColumns
    let values: [SQLiteData]

    var allColumns: [String] { columns.names }

    func contains(column: String) -> Bool { columns.offsets[column] != nil }

    func decodeNil(column: String) throws -> Bool {
        guard let offset = columns.offsets[column] else { return true }
        return values[offset] == .null
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let offset = columns.offsets[column] else {
            throw DecodingError.keyNotFound(
                SQLiteColumnKey(column), .init(codingPath: [], debugDescription: "no column \(column)"))
        }
        return try Self.decoder.decode(D.self, from: values[offset])
    }
}

private struct SQLiteColumnKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
