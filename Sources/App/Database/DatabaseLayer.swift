import FluentKit

/// A layer of this application's over another configuration's connections: the model middleware
/// stay the base's, the layer may change the context each database is made with, and it closes
/// with the driver, before the base.
protocol DatabaseLayer: DatabaseConfiguration {
    var base: any DatabaseConfiguration { get set }
    func context(_ context: DatabaseContext) -> DatabaseContext
    func close()
}

extension DatabaseLayer {
    var middleware: [any AnyModelMiddleware] {
        get { base.middleware }
        set { base.middleware = newValue }
    }

    func makeDriver(for databases: Databases) -> any DatabaseDriver {
        LayeredDriver(base: base.makeDriver(for: databases), layer: self)
    }

    func context(_ context: DatabaseContext) -> DatabaseContext { context }

    func close() {}
}

private struct LayeredDriver: DatabaseDriver {
    let base: any DatabaseDriver
    let layer: any DatabaseLayer

    func makeDatabase(with context: DatabaseContext) -> any Database { base.makeDatabase(with: layer.context(context)) }

    func shutdown() {
        layer.close()
        base.shutdown()
    }

    func shutdownAsync() async {
        layer.close()
        await base.shutdownAsync()
    }
}
