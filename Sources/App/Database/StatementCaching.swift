import FluentKit
import SQLiteStatementCache

/// The readers' database, carrying its statement cache to `Database.all`, which finds it in the
/// context every database of this configuration is made with. The cache closes with the readers.
struct StatementCachingConfiguration: DatabaseConfiguration {
    var base: any DatabaseConfiguration
    let cache: SQLiteStatementCache

    var middleware: [any AnyModelMiddleware] {
        get { base.middleware }
        set { base.middleware = newValue }
    }

    func makeDriver(for databases: Databases) -> any DatabaseDriver {
        StatementCachingDriver(base: base.makeDriver(for: databases), cache: cache)
    }
}

private struct StatementCachingDriver: DatabaseDriver {
    let base: any DatabaseDriver
    let cache: SQLiteStatementCache

    func makeDatabase(with context: DatabaseContext) -> any Database { base.makeDatabase(with: context) }

    func shutdown() {
        cache.close()
        base.shutdown()
    }

    func shutdownAsync() async {
        cache.close()
        await base.shutdownAsync()
    }
}
