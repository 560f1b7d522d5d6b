import FluentKit
import Vapor

extension DatabaseID {
    /// SQLite's readers: a connection on each event loop, beside the single writer.
    static let sqliteReads = DatabaseID(string: "sqlite-reads")
}

/// The database for statements that only read, outside any transaction. On SQLite they go to a
/// reading connection: in WAL mode readers never wait for the writer, so reads run on every core
/// instead of queueing for the one connection every write needs. They see every committed change,
/// so a read after a write that has committed sees it.
///
/// Only `Application.readDB` and `Request.readDB` make one, and a transaction or a connection taken
/// from it hands its closure the database it wraps, never another `ReadingDatabase`. That is what
/// keeps a hot statement inside a transaction off the statement cache, whose connections are not the
/// transaction's (`Database.all(_:)`): the cache is reached through this type only.
struct ReadingDatabase: Database {
    /// The database it reads, as any other database: what a transaction opened on it would be.
    let base: any Database

    fileprivate init(_ base: any Database) { self.base = base }

    var context: DatabaseContext { base.context }

    var inTransaction: Bool { base.inTransaction }

    func execute(query: DatabaseQuery, onOutput: @escaping @Sendable (any DatabaseOutput) -> Void) -> EventLoopFuture<
        Void
    > {
        base.execute(query: query, onOutput: onOutput)
    }

    func execute(schema: DatabaseSchema) -> EventLoopFuture<Void> { base.execute(schema: schema) }

    func execute(enum: DatabaseEnum) -> EventLoopFuture<Void> { base.execute(enum: `enum`) }

    func transaction<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        base.transaction(closure)
    }

    func withConnection<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        base.withConnection(closure)
    }
}

extension Application {
    var readDB: ReadingDatabase { ReadingDatabase(db(readDatabaseID)) }

    /// SQLite's readers, or the default database (nil) on PostgreSQL.
    var readDatabaseID: DatabaseID? {
        switch config.database {
        case .sqlite: .sqliteReads
        case .postgres: nil
        }
    }
}

extension Request {
    /// `Application.readDB`, on a connection of the request's own event loop.
    var readDB: ReadingDatabase { ReadingDatabase(db(application.readDatabaseID)) }
}
