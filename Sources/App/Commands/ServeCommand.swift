import Foundation
import NIOCore
import Vapor

/// `etrange serve`: Vapor's own serve command (its signals, its graceful stop), after the pending
/// migrations, with its options checked here first.
struct ServeCommand: EtrangeCommand {
    static let spec = CommandSpec(
        "serve",
        summary: "Sert l'interface web et l'API, après avoir appliqué les migrations en attente.",
        details: "Les fichiers web sont cherchés dans ETRANGE_PUBLIC_DIR, sinon à côté de l'exécutable "
            + "(../share/etrange/Public, puis Public), sinon dans ./Public. Arrêt propre sur SIGTERM ou SIGINT.",
        options: [
            CommandOption("hostname", short: "H", value: "HÔTE", help: "Adresse d'écoute (127.0.0.1 par défaut)."),
            CommandOption("port", short: "p", value: "PORT", help: "Port d'écoute (8080 par défaut)."),
            CommandOption("bind", short: "b", value: "HÔTE:PORT", help: "Adresse et port ensemble."),
            CommandOption("unix-socket", value: "CHEMIN", help: "Écoute sur une socket Unix plutôt qu'un port."),
        ])

    let hostname: String?
    let port: Int?
    let socket: String?

    init(_ arguments: ParsedArguments) throws(UsageError) {
        var hostname = arguments.value("hostname")
        var port = try arguments.value("port").map { value throws(UsageError) in try Self.port(value) }
        socket = arguments.value("unix-socket")
        if let bind = arguments.value("bind") {
            guard hostname == nil, port == nil else {
                throw UsageError("--bind remplace --hostname et --port : l'un ou les autres", command: "serve")
            }
            guard let colon = bind.lastIndex(of: ":"), colon != bind.startIndex else {
                throw UsageError("--bind attend HÔTE:PORT, pas « \(bind) »", command: "serve")
            }
            hostname = String(bind[..<colon])
            port = try Self.port(String(bind[bind.index(after: colon)...]))
        }
        if socket != nil, hostname != nil || port != nil {
            throw UsageError("--unix-socket ne va pas avec une adresse ni un port", command: "serve")
        }
        if hostname?.isEmpty == true { throw UsageError("--hostname attend une adresse", command: "serve") }
        self.hostname = hostname
        self.port = port
    }

    private static func port(_ value: String) throws(UsageError) -> Int {
        guard let port = Int(value), (0...65_535).contains(port) else {
            throw UsageError("port invalide « \(value) » (un entier de 0 à 65535)", command: "serve")
        }
        return port
    }

    var database: DatabaseUse { .migrated }

    /// The page is what the server serves first: without it, no start (rather than a 500 on `/`).
    func check(_ config: AppConfig) throws {
        _ = try WebFiles.locate(config)
    }

    func run(_ app: Application) async throws {
        do {
            // Vapor's serve command reads the same options, rebuilt by the runner from these.
            try await app.startup()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw OperatorError("l'adresse \(address(app)) est déjà prise par un autre programme (--port, --hostname)")
        } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL || error.errnoCode == EACCES {
            throw OperatorError(
                "impossible d'écouter sur \(address(app)) : \(String(cString: strerror(error.errnoCode)))")
        }
        try await app.running?.onStop.get()
    }

    private func address(_ app: Application) -> String {
        if let socket { return socket }
        let server = app.http.server.configuration
        return "\(hostname ?? server.hostname):\(port ?? server.port)"
    }
}

/// `etrange routes`: Vapor's list of the routes, kept from before the command line had its own.
struct RoutesCommand: EtrangeCommand {
    static let spec = CommandSpec("routes", summary: "Liste les routes HTTP de l'application.")

    init(_ arguments: ParsedArguments) {}

    var database: DatabaseUse { .existing }

    func run(_ app: Application) async throws {
        try await app.startup()
    }
}
