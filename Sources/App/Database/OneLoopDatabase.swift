import FluentKit
import NIOCore

/// Sends every database call of the application to the connection pool of one event loop.
/// SQLite has a single writer: with a pool per event loop, two writers from two loops spin on its
/// lock (39 % of the server's CPU during a heartbeat run, docs/benchmarks-history.md), where one pool queues
/// them for nothing. The hottest reads skip that queue (`Request.readDB`).
struct OneLoopDatabaseConfiguration: DatabaseLayer {
    var base: any DatabaseConfiguration
    let eventLoop: any EventLoop

    func context(_ context: DatabaseContext) -> DatabaseContext {
        DatabaseContext(
            configuration: context.configuration, logger: context.logger, eventLoop: eventLoop,
            history: context.history, pageSizeLimit: context.pageSizeLimit, shouldTrace: context.shouldTrace)
    }
}
