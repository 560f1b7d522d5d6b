import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import NIOCore
import SQLKit
import SQLiteStatementCache
import Vapor

/// The threads of the blocking pool, where SQLite's work runs. The statement cache opens one
/// connection per thread of that pool (`SQLiteStatementCache`): this is the only figure of both.
let blockingThreads = 8

/// Wires the application: configuration, database, migrations, middleware, routes. The command
/// line passes `migrate: false` and lets each command decide (`DatabaseUse`).
public func configure(_ app: Application, config: AppConfig? = nil, migrate: Bool = true) async throws {
    let config = try config ?? AppConfig.fromEnvironment()
    app.config = config
    // Only `serve` insists on finding them (`ServeCommand.check`): `migrate` and the others
    // run without the page.
    app.directory.publicDirectory = (try? WebFiles.locate(config)) ?? app.directory.publicDirectory
    // SQLite's driver waits for its lock on the blocking thread pool, spinning; the pool must have
    // more threads than the driver has connections, or a writer waiting for a thread and a
    // reader waiting for the writer would stall each other. The statement cache's connections
    // (one per thread) never wait for the writer: they hold a thread only while they read.
    // Each application gets its own.
    app.threadPool = NIOThreadPool(numberOfThreads: blockingThreads)
    JSONCoding.installGlobally()

    app.routes.defaultMaxBodySize = config.maxBodySize
    app.http.server.configuration.idleTimeout = .seconds(Int64(config.httpIdleTimeout))
    app.passwords.use(.bcrypt(cost: config.bcryptCost))
    app.installMetrics()
    app.middleware = Middlewares()
    app.middleware.use(InFlightMiddleware(requests: app.requestsInFlight))
    app.middleware.use(SecurityHeadersMiddleware())
    app.middleware.use(RequestIDMiddleware())
    app.middleware.use(MetricsMiddleware())
    app.middleware.use(AccessLogMiddleware())
    app.middleware.use(APIErrorMiddleware(environment: app.environment))
    app.middleware.use(FileMiddleware(publicDirectory: app.directory.publicDirectory, defaultFile: nil))
    app.middleware.use(PageFallbackMiddleware(page: WebController(publicDirectory: app.directory.publicDirectory)))

    try await configureDatabase(app, config: config)
    app.migrations.add(Migrations.all)
    if migrate { try await app.autoMigrate() }

    app.installPasswordHashing()
    let decoy = try await app.passwordHashing.hash("decoy password for unknown usernames", .interactive)
    app.decoyPasswordHash = decoy

    app.throttle = Throttle()
    app.installTokenCache()
    app.installLiveHub()
    app.install(PartieChanges())
    app.installWebhooks()
    try app.installHandouts()
    try routes(app)
    app.lifecycle.use(PresenceSweeper())
    app.lifecycle.use(SeriesHorizonLoop())
    app.lifecycle.use(GracefulStop())
}

private func configureDatabase(_ app: Application, config: AppConfig) async throws {
    switch config.database {
    case .sqlite(let path):
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let sqlite: DatabaseConfigurationFactory = .sqlite(
            .file(url.path), connectionPoolTimeout: .seconds(Int64(config.databasePoolTimeout)))
        let loop = app.eventLoopGroup.next()
        app.databases.use(
            DatabaseConfigurationFactory { OneLoopDatabaseConfiguration(base: sqlite.make(), eventLoop: loop) },
            as: .sqlite)
        let cache = SQLiteStatementCache(path: url.path, threadPool: app.threadPool)
        app.databases.use(
            DatabaseConfigurationFactory { StatementCachingConfiguration(base: sqlite.make(), cache: cache) },
            as: .sqliteReads, isDefault: false)
        // These reach the server's only writing connection (`OneLoopDatabaseConfiguration`).
        // WAL is kept in the file, so the readers open in it too. `synchronous` is not, and only
        // the writer commits: at its default (FULL) every commit
        // waits for an fsync of the journal, 0.2 to 4 ms on this machine's disk, and the single
        // writer queues everyone behind it. NORMAL, which SQLite advises with WAL, lets the system
        // write the journal: a crash of the server loses nothing; a power cut may lose the last
        // commits, never the file's consistency. ETRANGE_SQLITE_SYNC=full brings the wait back.
        let sql = app.db.sql
        try await sql.raw("PRAGMA journal_mode=WAL").run()
        try await sql.raw(config.sqliteFullSync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL").run()
        let (databases, logger) = (app.databases, app.logger)
        let groupCommit = GroupCommit(
            path: url.path, fullSync: config.sqliteFullSync, threadPool: app.threadPool,
            writer: { databases.database(logger: logger, on: loop)! })
        app.groupCommit = groupCommit
        // After Fluent's own handler (registered with the first database): it stops before them.
        app.lifecycle.use(groupCommit)
    case .postgres(let url):
        var postgres = try SQLPostgresConfiguration(url: url)
        if let schema = config.databaseSchema {
            postgres.searchPath = [schema]
        }
        app.lifecycle.use(PostgresListener(configuration: postgres.coreConfiguration, schema: config.databaseSchema))
        app.databases.use(
            .postgres(
                configuration: postgres, maxConnectionsPerEventLoop: config.effectivePoolSize,
                connectionPoolTimeout: .seconds(Int64(config.databasePoolTimeout))),
            as: .psql)
        if let schema = config.databaseSchema {
            try await app.db.sql.raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run()
        }
    }
}

extension JSONCoding {
    /// Vapor's content coders are process-wide; a static constant sets them exactly once, even
    /// when tests start many applications at the same time.
    private static let installed: Void = {
        ContentConfiguration.global.use(encoder: encoder, for: .json)
        ContentConfiguration.global.use(decoder: decoder, for: .json)
    }()

    static func installGlobally() { installed }
}
