import FluentKit
import FluentPostgresDriver
import Foundation
import SQLKit

/// A statement of a hot path (the session list, presence, heartbeats), written once for both
/// databases with `$1…$n` placeholders.
///
/// On PostgreSQL it runs as a named prepared statement: each connection parses and plans it once,
/// where an unnamed statement is planned at every call, which was two thirds of the list's and the
/// heartbeat's time in the database (docs/benchmarks-history.md). SQLite reads `$1…$n` as named parameters,
/// numbered in the order they first appear, so a statement must name them in that order the first
/// time (`isWellFormed`, asserted in debug builds).
///
/// Columns are always named, never `*`: a prepared statement whose result changes shape fails until
/// its connection closes, and another instance may add a column to a table while this one runs.
///
/// `LIMIT` and `OFFSET` take a cast, never a bare `$n`: SQLite (3.54) reads a bare one's value while
/// compiling, and compiles the statement a second time at the first step after it is bound: 7 % of
/// the server's time on the session list (docs/benchmarks-history.md). Through a cast it reads nothing, and
/// compiles once.
protocol HotStatement: PostgresPreparedStatement where Row == PostgresRow {
    /// The values of `$1…$n`, in order.
    var binds: [HotBind] { get }
}

/// A value bound to a hot statement. PostgreSQL takes the parameters' types from the first call's
/// values; a null has none, so a parameter that may be null is cast where it first appears.
enum HotBind: Sendable {
    case int(Int?)
    case text(String?)
    case uuid(UUID?)
    case bool(Bool)
    case date(Date)
    /// A list, for PostgreSQL's `UNNEST`: one statement writes every row of it.
    case ints([Int])

    /// The same value for SQLKit's encoders, which SQLite's driver binds.
    var sqlValue: any Encodable & Sendable {
        switch self {
        case .int(let value): value
        case .text(let value): value
        case .uuid(let value): value
        case .bool(let value): value
        case .date(let value): value
        case .ints(let value): value
        }
    }
}

extension HotStatement {
    static var name: String { "etrange_\(Self.self)" }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case .int(let value): bindings.append(value)
            case .text(let value): bindings.append(value)
            case .uuid(let value): bindings.append(value)
            case .bool(let value): bindings.append(value)
            case .date(let value): bindings.append(value)
            case .ints(let value): bindings.append(value)
            }
        }
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }

    /// Whether the text names `$1…$n` in that order the first time, binds n values, never reads
    /// `*`, and casts what `LIMIT` and `OFFSET` take. Debug builds check it at every run, so a
    /// statement any test runs is checked.
    var isWellFormed: Bool {
        let count = binds.count
        var firstSeen: [Int] = []
        for match in Self.sql.matches(of: /\$([0-9]+)/) {
            guard let number = Int(match.1) else { return false }
            if !firstSeen.contains(number) { firstSeen.append(number) }
        }
        return firstSeen == (0..<count).map { $0 + 1 }
            && Self.sql.firstMatch(of: /\.\*|SELECT\s+\*|(LIMIT|OFFSET)\s+\$/) == nil
    }
}

extension Database {
    /// Every row of `statement`, prepared once per connection on PostgreSQL. On SQLite's readers
    /// (a `ReadingDatabase`) it runs on a connection of the statement cache; on any other database,
    /// the writer or a transaction's, on that very connection, so it sees what the transaction wrote.
    func all<Statement: HotStatement>(_ statement: Statement) async throws -> [any SQLRow] {
        assert(
            statement.isWellFormed,
            "\(Statement.self) must name $1…$\(statement.binds.count) in order, no *, and cast LIMIT and OFFSET")
        if let reading = self as? ReadingDatabase {
            if let cache = (reading.context.configuration as? StatementCachingConfiguration)?.cache {
                return try await cache.all(sql: Statement.sql, binds: statement.binds.map(\.sqlValue), on: eventLoop)
            }
            return try await reading.base.all(statement)
        }
        guard let postgres = self as? any PostgresDatabase else {
            return try await HotStatementFetcher(statement, on: sql).all()
        }
        let logger = logger
        return try await postgres.withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                var rows: [any SQLRow] = []
                for try await row in try await connection.execute(statement, logger: logger) {
                    rows.append(row.sql())
                }
                return rows
            }
        }.get()
    }

    func first<Statement: HotStatement>(_ statement: Statement) async throws -> (any SQLRow)? {
        try await all(statement).first
    }
}

/// Hands a hot statement's text and values to SQLKit as they are, for SQLite.
private final class HotStatementFetcher: SQLQueryFetcher, SQLExpression {
    let database: any SQLDatabase
    let sql: String
    let binds: [any Encodable & Sendable]

    init<Statement: HotStatement>(_ statement: Statement, on database: any SQLDatabase) {
        self.database = database
        sql = Statement.sql
        binds = statement.binds.map(\.sqlValue)
    }

    var query: any SQLExpression { self }

    func serialize(to serializer: inout SQLSerializer) {
        serializer.write(sql)
        serializer.binds.append(contentsOf: binds)
    }
}
