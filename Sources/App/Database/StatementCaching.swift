import FluentKit
import SQLiteStatementCache

/// The readers' database, carrying its statement cache to `Database.all`, which finds it in the
/// context every database of this configuration is made with. The cache closes with the readers.
struct StatementCachingConfiguration: DatabaseLayer {
    var base: any DatabaseConfiguration
    let cache: SQLiteStatementCache

    func close() { cache.close() }
}
