import FluentPostgresDriver
import Foundation
import SQLiteNIO
import Vapor

/// `etrange`'s whole run: the command line read and checked first, then the configuration, then
/// only what the command needs opened. Every way out is a status (0, 1 with one French line on
/// stderr, 2 with the usage), never an error thrown out of `main`, which Swift turns into a crash.
public enum EtrangeMain {
    public static func run(_ argv: [String]) async -> Int32 {
        let parser = EtrangeCommands.parser
        let command: any EtrangeCommand
        let parsed: ParsedArguments
        do {
            switch try parser.parse(argv) {
            case .help(let name):
                print(name.map { parser.usage(of: $0) } ?? parser.usage())
                return 0
            case .version:
                print("etrange \(EtrangeCommands.version)")
                return 0
            case .run(let arguments):
                parsed = arguments
                command = try EtrangeCommands.make(arguments)
            }
        } catch let error as UsageError {
            let usage = error.command.map { parser.usage(of: $0) } ?? parser.usage()
            printError("etrange : \(error.message)\n\n\(usage)")
            return 2
        } catch {
            printError("etrange : " + describe(error))
            return 1
        }
        do {
            let config = try AppConfig.fromEnvironment()
            try command.check(config)
            try await execute(command, parsed, config: config, program: argv.first ?? "etrange")
            return 0
        } catch {
            printError("etrange : " + describe(error))
            return 1
        }
    }

    private static func execute(
        _ command: any EtrangeCommand, _ parsed: ParsedArguments, config: AppConfig, program: String
    ) async throws {
        var env = try Environment.detect(arguments: parsed.vaporArguments(program: program))
        if config.jsonLogs {
            try LoggingSystem.bootstrap(from: &env) { level in { label in JSONLogHandler(label: label, level: level) } }
        } else {
            try LoggingSystem.bootstrap(from: &env)
        }
        let app = try await Application.make(env)
        do {
            // Held until the application has stopped: a restore waits for no one and refuses.
            let lock = try await prepare(app, for: command.database, config: config)
            try await command.run(app)
            try await app.asyncShutdown()
            withExtendedLifetime(lock) {}
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    /// Opens what `use` asks for; the SQLite database's lock is returned, to be held while it is open.
    private static func prepare(_ app: Application, for use: DatabaseUse, config: AppConfig) async throws
        -> DatabaseLock?
    {
        app.config = config
        guard use != .none else { return nil }
        var lock: DatabaseLock?
        if case .sqlite(let path) = config.database {
            let file = DatabaseFiles.absolute(path)
            switch use {
            case .existing, .upToDate:
                guard FileManager.default.fileExists(atPath: file) else {
                    throw OperatorError(
                        "la base SQLite « \(path) » n'existe pas (DATABASE_URL) : « etrange migrate » la crée")
                }
            case .none, .created, .migrated:
                try FileManager.default.createDirectory(
                    atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            }
            lock = try DatabaseLock(database: file, exclusive: false)
        }
        try await configure(app, config: config, migrate: false)
        switch use {
        case .migrated:
            try await Migrations.apply(app)
        case .upToDate:
            let pending = try await Migrations.pending(on: app.db)
            guard pending.isEmpty else {
                throw OperatorError(
                    "la base n'est pas à jour (\(pending.count) migration(s) en attente) : lancez d'abord « etrange migrate »"
                )
            }
        case .none, .existing, .created:
            break
        }
        return lock
    }

    private static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// One line naming the cause, for the errors a host meets: the operator's own, a variable,
    /// SQLite, PostgreSQL, the network.
    static func describe(_ error: any Error) -> String {
        let text: String
        switch error {
        case let error as OperatorError:
            text = error.message
        case let error as AppConfig.Invalid:
            text = "variable \(error.variable) invalide : \(error.problem)"
        case let error as SQLiteError:
            text = "SQLite : \(error.message) (\(error.reason))"
        case let error as PSQLError:
            if let message = error.serverInfo?[.message] {
                text = "PostgreSQL a refusé : \(message)"
            } else if let underlying = error.underlying {
                text = "PostgreSQL injoignable (DATABASE_URL) : \(underlying)"
            } else {
                text = "PostgreSQL : \(String(reflecting: error))"
            }
        case let error as IOError:
            text = "erreur du système : \(error.description)"
        default:
            text = "échec : \(String(reflecting: error))"
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// The SQLite database's files, as the commands that handle them name them.
enum DatabaseFiles {
    /// `path` from the working directory, as the server opens it.
    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL.path
    }

    /// Where SQLite keeps what is not yet in the file itself, beside it under these suffixes.
    static let companions = ["-wal", "-shm"]
}
