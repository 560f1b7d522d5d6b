import NIOCore
import SQLKit
import SQLiteKit
import VaporCSQLite

/// One connection to the SQLite file that keeps every statement it has compiled, read and bound
/// as SQLiteKit does (`SQLiteDataEncoder`, `SQLiteDataDecoder`), so a statement run here reads
/// exactly what it reads through Fluent. It does its work on the calling thread: whoever owns it
/// runs it on a blocking thread, one caller at a time.
public final class SQLiteCompiledConnection: @unchecked Sendable {
    /// What the connection does besides reading.
    public enum Role: Sendable {
        /// Never writes (`PRAGMA query_only`).
        case reader
        /// Writes, with the durability of the server's writer: `synchronous` is a setting of each
        /// connection, not of the file, so it must be the writer's own.
        case writer(fullSync: Bool)
    }

    private let path: String
    private let role: Role
    private let encoder = SQLiteDataEncoder()
    private var handle: OpaquePointer?
    private var closed = false
    private var statements: [String: Prepared] = [:]
    /// How many statements it has compiled since it opened, for tests.
    public private(set) var compilations = 0

    private struct Prepared {
        let handle: OpaquePointer
        let columns: SQLiteColumns
    }

    public init(path: String, role: Role) {
        self.path = path
        self.role = role
    }

    /// Every row of `sql` with these values bound to `$1…$n`, compiled at its first run only.
    public func all(_ sql: String, _ binds: [any Encodable & Sendable]) throws -> [any SQLRow] {
        try run(sql, binds.map { try encoder.encode($0) })
    }

    func run(_ sql: String, _ binds: [SQLiteData]) throws -> [any SQLRow] {
        let statement = try prepared(sql)
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

    /// Runs a statement without values or rows (`BEGIN`, `SAVEPOINT`, `COMMIT`…), kept compiled
    /// as the others: a batch runs two savepoint statements per change.
    public func execute(_ sql: String) throws {
        _ = try run(sql, [])
    }

    /// Finalizes the statements and closes the connection; a later call is refused.
    public func close() {
        closed = true
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement.handle) }
        statements = [:]
        if let handle { sqlite_nio_sqlite3_close(handle) }
        handle = nil
    }

    private func prepared(_ sql: String) throws -> Prepared {
        if let statement = statements[sql] { return statement }
        let connection = try open()
        var handle: OpaquePointer?
        try check(sqlite_nio_sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil))
        guard let handle else { throw SQLiteStatementError(message: "empty statement") }
        let count = sqlite_nio_sqlite3_column_count(handle)
        let names = (0..<count).map { String(cString: sqlite_nio_sqlite3_column_name(handle, $0)) }
        let statement = Prepared(handle: handle, columns: SQLiteColumns(names: names))
        statements[sql] = statement
        compilations += 1
        return statement
    }

    private func open() throws -> OpaquePointer {
        guard !closed else { throw SQLiteStatementError(message: "the database is closed") }
        if let handle { return handle }
        var connection: OpaquePointer?
        let status = sqlite_nio_sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        guard status == SQLITE_OK, let connection else {
            sqlite_nio_sqlite3_close(connection)
            throw SQLiteStatementError(
                message: "cannot open \(path): \(String(cString: sqlite_nio_sqlite3_errstr(status)))")
        }
        // Readers wait for nothing in WAL mode, but for a checkpoint's brief lock.
        sqlite_nio_sqlite3_busy_timeout(connection, 5_000)
        switch role {
        case .reader:
            sqlite_nio_sqlite3_exec(connection, "PRAGMA query_only = ON", nil, nil, nil)
        case .writer(let fullSync):
            // As SQLiteKit sets up its own connections, and as the server's writer commits.
            sqlite_nio_sqlite3_exec(connection, "PRAGMA foreign_keys = ON", nil, nil, nil)
            sqlite_nio_sqlite3_exec(
                connection, fullSync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", nil, nil, nil)
        }
        handle = connection
        return connection
    }

    private func check(_ status: Int32) throws {
        guard status == SQLITE_OK else {
            let message =
                handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) }
                ?? String(cString: sqlite_nio_sqlite3_errstr(status))
            throw SQLiteStatementError(message: message, code: status)
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

/// SQLite copies the value before the call returns (`transient`, a C macro Swift cannot import).
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

public struct SQLiteStatementError: Error, CustomStringConvertible {
    public let message: String
    /// SQLite's result code, when SQLite gave one: `SQLITE_CONSTRAINT` (19) for a broken constraint.
    public var code: Int32?
    public var description: String { "SQLite: \(message)" }

    init(message: String, code: Int32? = nil) {
        self.message = message
        self.code = code
    }
}
