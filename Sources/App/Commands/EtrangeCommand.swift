import Vapor

/// A command of `etrange`. To add one, write a type that conforms and list it in
/// `EtrangeCommands.all`: the parser, the help and the runner take it from there.
protocol EtrangeCommand: Sendable {
    /// Its name, help, arguments and options: all the parser knows of it.
    static var spec: CommandSpec { get }
    /// Checks the values of a parsed command line; a bad one is a usage error (status 2).
    init(_ arguments: ParsedArguments) throws(UsageError)
    /// What the runner opens before `run`.
    var database: DatabaseUse { get }
    /// Checks what the command needs of the configuration, before anything is opened.
    func check(_ config: AppConfig) throws
    /// Runs with the application configured as `database` asks (`app.config` is always set). A
    /// failure the host can fix throws an `OperatorError`, printed as one line.
    func run(_ app: Application) async throws
}

extension EtrangeCommand {
    func check(_ config: AppConfig) throws {}
}

/// How much of the database a command needs opened for it.
enum DatabaseUse: Sendable, Equatable {
    /// Nothing: the command opens what it needs itself (the backups work on files).
    case none
    /// The application configured on a database that must already exist, its schema untouched.
    case existing
    /// Same, and no migration may be pending: the command reads and writes the current tables.
    case upToDate
    /// The application configured, the database created when missing, its schema untouched.
    case created
    /// Same, and the pending migrations applied first.
    case migrated
}

enum EtrangeCommands {
    /// Every command, in the order the help lists them.
    static let all: [any EtrangeCommand.Type] = [
        ServeCommand.self,
        MigrateCommand.self,
        SeedDemoCommand.self,
        BackupCommand.self,
        RestoreCommand.self,
        RoutesCommand.self,
        ImportReferenceCommand.self,
        ResetPasswordCommand.self,
        ImportAppCommand.self,
    ]

    static let parser = CommandLineParser(commands: all.map { $0.spec }, defaultCommand: ServeCommand.spec.name)

    /// The command a parsed line names, its values checked.
    static func make(_ arguments: ParsedArguments) throws(UsageError) -> any EtrangeCommand {
        guard let type = all.first(where: { $0.spec.name == arguments.command }) else {
            throw UsageError("commande inconnue « \(arguments.command) »")
        }
        return try type.init(arguments)
    }

    /// The version `--version` prints, the OpenAPI document's `info.version`.
    static let version = "0.1.0"
}

/// A failure the person running `etrange` can fix (a missing file, a server still running, a
/// database out of date). Its message is the one French line printed before exiting with status 1.
struct OperatorError: Error, CustomStringConvertible {
    let message: String

    init(_ message: String) { self.message = message }

    var description: String { message }
}
