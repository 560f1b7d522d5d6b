/// What the command line may say, and how it is read: checked whole before anything is opened, so
/// that a typo touches nothing (no database, no file) and ends in the usage with status 2.
public struct CommandOption: Sendable, Equatable {
    public let name: String
    public let short: Swift.Character?
    /// The value's placeholder in the help (`PORT`); nil for a flag, which takes none.
    public let value: String?
    public let help: String

    public init(_ name: String, short: Swift.Character? = nil, value: String? = nil, help: String) {
        self.name = name
        self.short = short
        self.value = value
        self.help = help
    }

    var label: String {
        let long = "--\(name)" + (value.map { " \($0)" } ?? "")
        return short.map { "-\($0), \(long)" } ?? "    \(long)"
    }
}

/// A command as the parser and the help know it.
public struct CommandSpec: Sendable {
    public let name: String
    /// One line, for the list of commands.
    public let summary: String
    /// More, for `etrange COMMAND --help`; empty when the summary says it all.
    public let details: String
    /// Placeholders of the positional arguments, each required.
    public let arguments: [String]
    public let options: [CommandOption]

    public init(
        _ name: String, summary: String, details: String = "", arguments: [String] = [], options: [CommandOption] = []
    ) {
        self.name = name
        self.summary = summary
        self.details = details
        self.arguments = arguments
        self.options = options
    }
}

/// A command line that makes no sense: printed before the usage, status 2.
public struct UsageError: Error, Equatable, CustomStringConvertible {
    public let message: String
    /// The command whose usage to show; nil for the general one.
    public let command: String?

    public init(_ message: String, command: String? = nil) {
        self.message = message
        self.command = command
    }

    public var description: String { message }
}

/// A command line that was understood.
public struct ParsedArguments: Sendable, Equatable {
    public var command: String
    /// Options by their long name; a flag's value is empty.
    public var options: [String: String] = [:]
    public var positionals: [String] = []
    /// Vapor's own options, which apply to every command.
    public var environment: String?
    public var logLevel: String?

    public func value(_ name: String) -> String? { options[name] }
    public func flag(_ name: String) -> Bool { options[name] != nil }

    /// The same command line as Vapor reads it (`serve --hostname …`, `--env`, `--log`), rebuilt
    /// from what was checked rather than passed on as typed.
    public func vaporArguments(program: String) -> [String] {
        var arguments = [program, command]
        for (name, value) in options.sorted(by: { $0.key < $1.key }) {
            arguments += value.isEmpty ? ["--\(name)"] : ["--\(name)", value]
        }
        if let environment { arguments += ["--env", environment] }
        if let logLevel { arguments += ["--log", logLevel] }
        return arguments
    }
}

public enum CommandLineRequest: Sendable, Equatable {
    /// The help, general (nil) or of one command.
    case help(command: String?)
    case version
    case run(ParsedArguments)
}

public struct CommandLineParser: Sendable {
    public let commands: [CommandSpec]
    /// The command run when none is named: `etrange` alone serves.
    public let defaultCommand: String

    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Options every command accepts, before or after its name.
    static let globalOptions = [
        CommandOption(
            "help", short: "h", help: "Affiche l'aide (générale, ou d'une commande : etrange COMMANDE --help)."),
        CommandOption("version", short: "V", help: "Affiche la version."),
        CommandOption("env", short: "e", value: "NOM", help: "Environnement Vapor (development, production…)."),
        CommandOption("log", value: "NIVEAU", help: "Niveau des journaux : " + logLevels.joined(separator: ", ") + "."),
    ]

    public init(commands: [CommandSpec], defaultCommand: String) {
        self.commands = commands
        self.defaultCommand = defaultCommand
    }

    public func parse(_ argv: [String]) throws(UsageError) -> CommandLineRequest {
        var command: CommandSpec?
        var given: [String: String] = [:]
        var positionals: [String] = []
        var remaining = argv.dropFirst()[...]
        var optionsEnded = false
        while let token = remaining.popFirst() {
            if optionsEnded || !token.hasPrefix("-") || token == "-" {
                if command == nil {
                    guard let spec = commands.first(where: { $0.name == token }) else {
                        throw UsageError("commande inconnue « \(token) »")
                    }
                    command = spec
                } else {
                    positionals.append(token)
                }
                continue
            }
            if token == "--" {
                optionsEnded = true
                continue
            }
            let (option, inline) = try resolve(token, command: command)
            if given[option.name] != nil {
                throw UsageError("option --\(option.name) donnée deux fois", command: command?.name)
            }
            if let placeholder = option.value {
                guard let value = inline ?? remaining.popFirst() else {
                    throw UsageError(
                        "l'option --\(option.name) attend une valeur (\(placeholder))", command: command?.name)
                }
                given[option.name] = value
            } else {
                guard inline == nil else {
                    throw UsageError("l'option --\(option.name) ne prend pas de valeur", command: command?.name)
                }
                given[option.name] = ""
            }
        }
        if given["help"] != nil { return .help(command: command?.name) }
        if given["version"] != nil { return .version }
        if let level = given["log"], !Self.logLevels.contains(level) {
            throw UsageError(
                "niveau de journal inconnu « \(level) » (\(Self.logLevels.joined(separator: ", ")))",
                command: command?.name)
        }
        if let environment = given["env"], environment.isEmpty {
            throw UsageError("--env attend un nom d'environnement", command: command?.name)
        }
        guard let spec = command ?? commands.first(where: { $0.name == defaultCommand }) else {
            throw UsageError("aucune commande")
        }
        if positionals.count > spec.arguments.count {
            throw UsageError("argument en trop « \(positionals[spec.arguments.count]) »", command: spec.name)
        }
        if positionals.count < spec.arguments.count {
            throw UsageError("il manque \(spec.arguments[positionals.count])", command: spec.name)
        }
        var parsed = ParsedArguments(command: spec.name, positionals: positionals)
        parsed.environment = given.removeValue(forKey: "env")
        parsed.logLevel = given.removeValue(forKey: "log")
        parsed.options = given
        return .run(parsed)
    }

    /// The option a token names (`--port`, `--port=80`, `-p`), among the global ones and, once its
    /// name is read, the command's.
    private func resolve(_ token: String, command: CommandSpec?) throws(UsageError) -> (CommandOption, String?) {
        let known = Self.globalOptions + (command?.options ?? [])
        let option: CommandOption?
        var inline: String?
        if token.hasPrefix("--") {
            let body = token.dropFirst(2)
            let name: Substring
            if let equals = body.firstIndex(of: "=") {
                name = body[..<equals]
                inline = String(body[body.index(after: equals)...])
            } else {
                name = body
            }
            option = known.first { $0.name == name }
        } else {
            option = token.count == 2 ? known.first { $0.short == token.last } : nil
        }
        guard let option else {
            let place = command.map { "pour « \($0.name) »" } ?? "avant le nom de la commande"
            throw UsageError("option inconnue \(token.split(separator: "=")[0]) \(place)", command: command?.name)
        }
        return (option, inline)
    }

    /// `etrange --help`: the commands and the options they all take.
    public func usage(program: String = "etrange") -> String {
        let width = (commands.map(\.name.count).max() ?? 0) + 2
        var lines = ["Usage : \(program) [COMMANDE] [ARGUMENTS] [OPTIONS]", "", "Commandes :"]
        for spec in commands {
            let padded = spec.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let isDefault = spec.name == defaultCommand ? " (commande par défaut)" : ""
            lines.append("  \(padded)\(spec.summary)\(isDefault)")
        }
        lines += ["", "Options de toutes les commandes :"] + Self.optionLines(Self.globalOptions)
        lines += [
            "", "\(program) COMMANDE --help décrit une commande.",
            "Codes de sortie : 0 réussite ; 1 échec, expliqué en une ligne sur la sortie d'erreur ; "
                + "2 ligne de commande invalide.",
        ]
        return lines.joined(separator: "\n")
    }

    /// `etrange COMMAND --help`.
    public func usage(of name: String, program: String = "etrange") -> String {
        guard let spec = commands.first(where: { $0.name == name }) else { return usage(program: program) }
        let arguments = spec.arguments.map { " \($0)" }.joined()
        var lines = ["Usage : \(program) \(spec.name)\(arguments)\(spec.options.isEmpty ? "" : " [OPTIONS]")", ""]
        lines.append(spec.summary)
        if !spec.details.isEmpty { lines += ["", spec.details] }
        if !spec.options.isEmpty { lines += ["", "Options :"] + Self.optionLines(spec.options) }
        lines += ["", "Options de toutes les commandes :"] + Self.optionLines(Self.globalOptions)
        return lines.joined(separator: "\n")
    }

    private static func optionLines(_ options: [CommandOption]) -> [String] {
        let width = (options.map(\.label.count).max() ?? 0) + 2
        return options.map { "  " + $0.label.padding(toLength: width, withPad: " ", startingAt: 0) + $0.help }
    }
}
