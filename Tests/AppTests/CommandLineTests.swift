import Fluent
import Foundation
import SQLKit
import Testing

@testable import App

/// The command line is read whole, and refused whole, before anything is opened
/// (`Tests/cli` runs the binary itself).
@Suite struct CommandLineTests {
    let parser = EtrangeCommands.parser

    func parse(_ arguments: String...) throws -> CommandLineRequest {
        try parser.parse(["etrange"] + arguments)
    }

    func refusal(_ arguments: String...) -> UsageError? {
        do {
            _ = try parser.parse(["etrange"] + arguments)
            return nil
        } catch {
            return error
        }
    }

    func run(_ arguments: String...) throws -> ParsedArguments {
        guard case .run(let parsed) = try parser.parse(["etrange"] + arguments) else {
            throw UsageError("not a run")
        }
        return parsed
    }

    @Test func anUnknownCommandIsRefused() {
        #expect(refusal("foo") == UsageError("commande inconnue « foo »"))
        #expect(refusal("servee", "--port", "80") == UsageError("commande inconnue « servee »"))
    }

    @Test func anUnknownOptionIsRefusedWithItsCommandsUsage() throws {
        let error = try #require(refusal("serve", "--nope"))
        #expect(error.command == "serve")
        #expect(error.message.contains("--nope"))
        // A command's option is only known once the command is named.
        #expect(refusal("--port", "80", "serve")?.message.contains("avant le nom de la commande") == true)
        #expect(refusal("migrate", "--dry-run=oui")?.message.contains("ne prend pas de valeur") == true)
        #expect(refusal("serve", "--port")?.message.contains("attend une valeur (PORT)") == true)
        #expect(refusal("serve", "-p", "1", "--port", "2")?.message.contains("deux fois") == true)
        #expect(refusal("serve", "-x")?.message.contains("-x") == true)
        #expect(refusal("serve", "--log", "bavard")?.message.contains("niveau de journal inconnu") == true)
    }

    @Test func argumentsAreCounted() {
        #expect(refusal("backup") == UsageError("il manque FICHIER", command: "backup"))
        #expect(refusal("backup", "a", "b") == UsageError("argument en trop « b »", command: "backup"))
        #expect(refusal("migrate", "maintenant") == UsageError("argument en trop « maintenant »", command: "migrate"))
    }

    @Test func helpAndVersionNeedNothingElse() throws {
        #expect(try parse("--help") == .help(command: nil))
        #expect(try parse("-h") == .help(command: nil))
        #expect(try parse("backup", "--help") == .help(command: "backup"))
        #expect(try parse("--version") == .version)
        #expect(try parse("-V") == .version)
    }

    @Test func optionsInEveryForm() throws {
        for arguments in [["--port", "9000"], ["--port=9000"], ["-p", "9000"]] {
            guard case .run(let parsed) = try parser.parse(["etrange", "serve"] + arguments) else {
                Issue.record("not a run")
                continue
            }
            #expect(parsed.value("port") == "9000")
        }
        #expect(try run("migrate", "--dry-run").flag("dry-run"))
        #expect(try run("backup", "--", "--odd-name.sqlite").positionals == ["--odd-name.sqlite"])
    }

    @Test func noCommandServes() throws {
        #expect(try run().command == "serve")
        #expect(try run("--log", "warning").logLevel == "warning")
    }

    @Test func vaporReadsTheCheckedLine() throws {
        let parsed = try run("--env", "production", "serve", "-H", "0.0.0.0", "-p", "80", "--log", "warning")
        #expect(
            parsed.vaporArguments(program: "etrange") == [
                "etrange", "serve", "--hostname", "0.0.0.0", "--port", "80", "--env", "production", "--log", "warning",
            ])
    }

    @Test func serveChecksItsAddress() throws {
        func serve(_ arguments: String...) throws(UsageError) -> ServeCommand {
            guard case .run(let parsed) = try parser.parse(["etrange", "serve"] + arguments) else {
                throw UsageError("not a run")
            }
            return try ServeCommand(parsed)
        }
        #expect(try serve("--port", "8081").port == 8081)
        #expect(try serve("--bind", "0.0.0.0:81").hostname == "0.0.0.0")
        #expect(try serve("--bind", "0.0.0.0:81").port == 81)
        #expect(throws: UsageError.self) { try serve("--port", "70000") }
        #expect(throws: UsageError.self) { try serve("--port", "huit") }
        #expect(throws: UsageError.self) { try serve("--bind", "nowhere") }
        #expect(throws: UsageError.self) { try serve("--bind", "a:1", "--port", "2") }
        #expect(throws: UsageError.self) { try serve("--unix-socket", "/tmp/s", "--port", "2") }
    }

    @Test func theHelpListsEveryCommandAndOption() {
        let names = EtrangeCommands.all.map { $0.spec.name }
        #expect(Set(names).count == names.count)
        let usage = parser.usage()
        for type in EtrangeCommands.all {
            #expect(usage.contains(type.spec.name))
            let own = parser.usage(of: type.spec.name)
            for option in type.spec.options { #expect(own.contains("--\(option.name)")) }
        }
    }

    @Test func thePostgresCommandsLeaveThePasswordOut() {
        let command = PostgresTools.command(
            "pg_dump --file='x'", url: "postgres://etrange:s3cret@db.example:5433/jeu?sslmode=require", schema: "etr")
        #expect(!command.contains("s3cret"))
        #expect(
            command
                == "pg_dump --file='x' --schema='etr' --dbname='postgres://etrange@db.example:5433/jeu?sslmode=require'"
        )
    }
}

@Suite struct WebFilesTests {
    /// A folder with `relative/index.html` in it for each path given.
    func tree(_ pages: String...) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("etrange-webfiles-\(UUID())")
        for page in pages {
            let folder = root.appendingPathComponent(page)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data("<html>".utf8).write(to: folder.appendingPathComponent("index.html"))
        }
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("run"), withIntermediateDirectories: true)
        return root
    }

    @Test func anInstallFindsItsFilesFromAnyFolder() throws {
        let root = try tree("share/etrange/Public", "bin/Public", "run/Public")
        defer { try? FileManager.default.removeItem(at: root) }
        let found = try WebFiles.locate(
            explicit: nil, executable: root.appendingPathComponent("bin/etrange"),
            workingDirectory: root.appendingPathComponent("run").path)
        #expect(found == root.appendingPathComponent("share/etrange/Public").standardizedFileURL.path + "/")
    }

    @Test func thenBesideTheExecutableThenHere() throws {
        let root = try tree("bin/Public", "run/Public")
        defer { try? FileManager.default.removeItem(at: root) }
        let executable = root.appendingPathComponent("bin/etrange")
        let here = root.appendingPathComponent("run").path
        #expect(
            try WebFiles.locate(explicit: nil, executable: executable, workingDirectory: here).hasSuffix("bin/Public/"))
        try FileManager.default.removeItem(at: root.appendingPathComponent("bin/Public"))
        #expect(
            try WebFiles.locate(explicit: nil, executable: executable, workingDirectory: here).hasSuffix("run/Public/"))
    }

    @Test func theVariableWinsAndMustHoldThePage() throws {
        let root = try tree("elsewhere", "run/Public")
        defer { try? FileManager.default.removeItem(at: root) }
        let here = root.appendingPathComponent("run").path
        let explicit = root.appendingPathComponent("elsewhere").path
        #expect(try WebFiles.locate(explicit: explicit, executable: nil, workingDirectory: here) == explicit + "/")
        let error = #expect(throws: OperatorError.self) {
            try WebFiles.locate(explicit: root.path, executable: nil, workingDirectory: here)
        }
        #expect(error?.message.contains("ETRANGE_PUBLIC_DIR") == true)
    }

    @Test func nowhereIsOneClearError() throws {
        let root = try tree()
        defer { try? FileManager.default.removeItem(at: root) }
        let error = #expect(throws: OperatorError.self) {
            try WebFiles.locate(
                explicit: nil, executable: root.appendingPathComponent("bin/etrange"),
                workingDirectory: root.appendingPathComponent("run").path)
        }
        #expect(error?.message.contains("share/etrange/Public") == true)
        #expect(error?.message.contains("ETRANGE_PUBLIC_DIR") == true)
    }
}

@Suite struct PendingMigrationsTests {
    /// `migrate --dry-run`'s list, read without writing, on both databases.
    @Test(arguments: TestDatabase.enabled)
    func theListIsWhatTheDatabaseHasNotRecorded(db: TestDatabase) async throws {
        try await withApp(db) { api in
            #expect(try await Migrations.pending(on: api.db).isEmpty)
            let last = try #require(Migrations.all.last).name
            try await api.db.sql.delete(from: MigrationLog.schema).where("name", .equal, last).run()
            #expect(try await Migrations.pending(on: api.db).map(\.name) == [last])
            try await api.db.sql.drop(table: MigrationLog.schema).run()
            #expect(try await Migrations.pending(on: api.db).count == Migrations.all.count)
        }
    }
}
