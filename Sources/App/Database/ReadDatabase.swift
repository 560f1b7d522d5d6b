import FluentKit
import Vapor

extension DatabaseID {
    /// SQLite's readers: a connection on each event loop, beside the single writer.
    static let sqliteReads = DatabaseID(string: "sqlite-reads")
}

extension Application {
    /// For statements that only read, outside any transaction. On SQLite they go to a reading
    /// connection: in WAL mode readers never wait for the writer, so reads run on every core
    /// instead of queueing for the one connection every write needs. They see every committed
    /// change, so a read after a write that has committed sees it.
    var readDB: any Database { db(readDatabaseID) }

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
    var readDB: any Database { db(application.readDatabaseID) }
}
