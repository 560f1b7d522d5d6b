import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import VaporCSQLite

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
    private let path: String
    private let threadPool: NIOThreadPool
    private let slots: [Slot]
    private let freeSlots: NIOLockedValueBox<[Int]>
    private let encoder = SQLiteDataEncoder()

    public init(path: String, threadPool: NIOThreadPool) {
        self.path = path
        self.threadPool = threadPool
        slots = (0..<threadPool.numberOfThreads).map { _ in Slot() }
        freeSlots = NIOLockedValueBox(Array(slots.indices))
    }

    public func all(sql: String, binds: [any Encodable & Sendable], on eventLoop: any EventLoop) async throws
        -> [any SQLRow]
    {
        let values = try binds.map { try encoder.encode($0) }
        let free = freeSlots
        return try await threadPool.runIfActive(eventLoop: eventLoop) { [slots, path] in
            // A slot is always free, as no more jobs run than the pool has threads; the first
            // slot's lock would only make a job wait if one day that were no longer so.
            let index = free.withLockedValue { $0.popLast() }
            defer { if let index { free.withLockedValue { $0.append(index) } } }
            let slot = slots[index ?? 0]
            return try slot.lock.withLock { try slot.run(sql, values, path: path) }
        }.get()
    }

    /// How many statements the connections have compiled since they opened, for tests.
    public var compilations: Int {
        slots.reduce(0) { total, slot in total + slot.lock.withLock { slot.compilations } }
    }

    /// Finalizes the statements and closes the connections; a later read is refused.
    public func close() {
        for slot in slots {
            slot.lock.withLock { slot.close() }
        }
    }

    /// A connection and its compiled statements, used under its lock only.
    private final class Slot: @unchecked Sendable {
        let lock = NIOLock()
        private var handle: OpaquePointer?
        private var closed = false
        private var statements: [String: Prepared] = [:]
        private(set) var compilations = 0

        struct Prepared {
            let handle: OpaquePointer
            let columns: SQLiteColumns
        }

        func run(_ sql: String, _ binds: [SQLiteData], path: String) throws -> [any SQLRow] {
            let statement = try prepared(sql, path: path)
            defer {
                sqlite_nio_sqlite3_reset(statement.handle)
                sqlite_nio_sqlite3_clear_bindings(statement.handle)
            }
            for (index, value) in binds.enumerated() {
                try check(bind(value, at: Int32(index + 1), in: statement.handle))
            }
            var rows: [any SQLRow] = []
            while true {
                let status = sqlite_nio_sqlite3_step(statement.handle)
                guard status == SQLITE_ROW else {
                    try check(status == SQLITE_DONE ? SQLITE_OK : status)
                    return rows
                }
                rows.append(
                    CachedStatementRow(
                        columns: statement.columns,
                        values: try (0..<Int32(statement.columns.names.count)).map {
                            try value(at: $0, in: statement.handle)
                        }))
            }
        }

        private func prepared(_ sql: String, path: String) throws -> Prepared {
            if let statement = statements[sql] { return statement }
            let connection = try open(path)
            var handle: OpaquePointer?
            try check(
                sqlite_nio_sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil))
            guard let handle else { throw SQLiteStatementError(message: "empty statement") }
            let count = sqlite_nio_sqlite3_column_count(handle)
            let names = (0..<count).map { String(cString: sqlite_nio_sqlite3_column_name(handle, $0)) }
            let statement = Prepared(handle: handle, columns: SQLiteColumns(names: names))
            statements[sql] = statement
            compilations += 1
            return statement
        }

        private func open(_ path: String) throws -> OpaquePointer {
            guard !closed else { throw SQLiteStatementError(message: "the database is closed") }
            if let handle { return handle }
            var connection: OpaquePointer?
            let status = sqlite_nio_sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
            guard status == SQLITE_OK, let connection else {
                sqlite_nio_sqlite3_close(connection)
                throw SQLiteStatementError(
                    message: "cannot open \(path): \(String(cString: sqlite_nio_sqlite3_errstr(status)))")
            }
            // Readers wait for nothing in WAL mode, but for a checkpoint's brief lock; they never write.
            sqlite_nio_sqlite3_busy_timeout(connection, 5_000)
            sqlite_nio_sqlite3_exec(connection, "PRAGMA query_only = ON", nil, nil, nil)
            handle = connection
            return connection
        }

        func close() {
            closed = true
            for statement in statements.values { sqlite_nio_sqlite3_finalize(statement.handle) }
            statements = [:]
            if let handle { sqlite_nio_sqlite3_close(handle) }
            handle = nil
        }

        private func check(_ status: Int32) throws {
            guard status == SQLITE_OK else {
                let message =
                    handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) }
                    ?? String(cString: sqlite_nio_sqlite3_errstr(status))
                throw SQLiteStatementError(message: message)
            }
        }

        private func bind(_ value: SQLiteData, at index: Int32, in statement: OpaquePointer) -> Int32 {
            switch value {
            case .integer(let value): sqlite_nio_sqlite3_bind_int64(statement, index, Int64(value))
            case .float(let value): sqlite_nio_sqlite3_bind_double(statement, index, value)
            case .text(let value):
                sqlite_nio_sqlite3_bind_text64(
                    statement, index, value, UInt64(value.utf8.count), transient, UInt8(SQLITE_UTF8))
            case .blob(let value):
                value.withUnsafeReadableBytes {
                    sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), transient)
                }
            case .null: sqlite_nio_sqlite3_bind_null(statement, index)
            }
        }

        private func value(at column: Int32, in statement: OpaquePointer) throws -> SQLiteData {
            switch sqlite_nio_sqlite3_column_type(statement, column) {
            case SQLITE_INTEGER: return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, column)))
            case SQLITE_FLOAT: return .float(sqlite_nio_sqlite3_column_double(statement, column))
            case SQLITE_TEXT: return .text(String(cString: sqlite_nio_sqlite3_column_text(statement, column)))
            case SQLITE_BLOB:
                let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
                var buffer = ByteBufferAllocator().buffer(capacity: count)
                if let bytes = sqlite_nio_sqlite3_column_blob(statement, column) {
                    buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: count))
                }
                return .blob(buffer)
            default: return .null
            }
        }
    }
}

/// SQLite copies the value before the call returns (`transient`, a C macro Swift cannot import).
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

public struct SQLiteStatementError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { "SQLite: \(message)" }
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
