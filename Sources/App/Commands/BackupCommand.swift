import Fluent
import Foundation
import SQLiteNIO
import Vapor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `etrange backup FILE`: a consistent copy of the SQLite database, taken while the server keeps
/// serving. `VACUUM INTO` reads the whole database in one read transaction (WAL: the server's
/// writer never waits for it), so the copy holds exactly the commits made before it began. The
/// handouts' files follow, into `FILE`'s own handouts folder (`HandoutFolderCopy`).
struct BackupCommand: FileCommand {
    static let spec = CommandSpec(
        "backup",
        summary: "Écrit une copie cohérente de la base SQLite dans FICHIER, serveur en marche ou non.",
        details:
            "Les documents montrés aux joueurs sont copiés à côté, dans le dossier « FICHIER-sans-extension-handouts ». "
            + "N'écrase jamais un fichier existant. Sur PostgreSQL, affiche la commande pg_dump à lancer.",
        arguments: ["FICHIER"])

    let file: String

    func run(_ app: Application) async throws {
        let path = try sqlitePath(app.config) { url in
            "sur PostgreSQL, la sauvegarde se fait avec pg_dump ; lancez : "
                + PostgresTools.command(
                    "pg_dump --format=custom --file=\(PostgresTools.quote(file))", url: url,
                    schema: app.config.databaseSchema)
        }
        let source = DatabaseFiles.absolute(path)
        let target = DatabaseFiles.absolute(file)
        guard FileManager.default.fileExists(atPath: source) else {
            throw OperatorError("la base SQLite « \(path) » n'existe pas (DATABASE_URL)")
        }
        let handouts = Application.handoutFolder(forDatabaseAt: source)
        let savedHandouts = Application.handoutFolder(forDatabaseAt: target)
        for existing in [target, savedHandouts.path] where FileManager.default.fileExists(atPath: existing) {
            throw OperatorError("« \(existing) » existe déjà : une sauvegarde n'en écrase jamais une autre")
        }
        let lock = try DatabaseLock(database: source, exclusive: false)
        let written = try await SQLiteCopy.write(from: source, to: target, app: app)
        let files: Int?
        do {
            // After the database: every handout its rows name was written before it committed.
            files = try HandoutFolderCopy.copy(from: handouts, to: savedHandouts)
        } catch {
            unlink(target)
            throw error
        }
        withExtendedLifetime(lock) {}
        print(
            "Sauvegarde écrite dans « \(file) » (\(written.bytes) octets, \(written.migrations) migrations)"
                + (files.map { ", documents dans « \(savedHandouts.path) » (\($0) fichiers)." } ?? "."))
    }
}

/// `backup FILE` and `restore FILE`: the file named, and the database's files handled directly.
protocol FileCommand: EtrangeCommand {
    var file: String { get }
    init(file: String)
}

extension FileCommand {
    init(_ arguments: ParsedArguments) {
        self.init(file: arguments.positionals[0])
    }

    var database: DatabaseUse { .none }

    /// The SQLite database's path; on PostgreSQL, an `OperatorError` saying what to run instead.
    func sqlitePath(_ config: AppConfig, postgres: (String) -> String) throws -> String {
        switch config.database {
        case .postgres(let url): throw OperatorError(postgres(url))
        case .sqlite(let path): return path
        }
    }
}

/// A database copied with `VACUUM INTO`, checked, and put in place only once whole.
enum SQLiteCopy {
    struct Written {
        let bytes: Int
        let migrations: Int
    }

    /// Copies `source` to `target` (absolute paths): into a temporary file beside `target`, synced
    /// (SQLite does not sync what `VACUUM INTO` writes), checked, then linked to its name, which
    /// fails rather than replace a file that appeared meanwhile.
    static func write(from source: String, to target: String, app: Application) async throws -> Written {
        let directory = (target as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw OperatorError("le dossier « \(directory) » n'existe pas")
        }
        let partial = target + ".partiel-\(getpid())"
        defer { unlink(partial) }
        try await withConnection(source, app: app) { connection in
            // A checkpoint or a recovery by the server may hold the file an instant.
            _ = try await connection.query("PRAGMA busy_timeout = 10000")
            _ = try await connection.query("VACUUM INTO ?", [.text(partial)])
        }
        try sync(partial)
        let migrations = try await check(partial, app: app, name: target)
        guard link(partial, target) == 0 else {
            throw OperatorError("impossible d'écrire « \(target) » : \(String(cString: strerror(errno)))")
        }
        try sync(directory)
        let size = (try? FileManager.default.attributesOfItem(atPath: target))?[.size] as? Int
        return Written(bytes: size ?? 0, migrations: migrations)
    }

    /// Whether `path` is a sound database of this server: `PRAGMA integrity_check`, then its
    /// migrations, every one known here (a newer server's backup would not be). Returns how many
    /// it has; `name` is how the messages call it.
    static func check(_ path: String, app: Application, name: String) async throws -> Int {
        try await withConnection(path, app: app) { connection in
            let verdict: [String]
            do {
                verdict = try await connection.query("PRAGMA integrity_check").compactMap {
                    $0.column("integrity_check")?.string
                }
            } catch let error as SQLiteError {
                throw OperatorError("« \(name) » n'est pas une base SQLite lisible : \(error.message)")
            }
            guard verdict == ["ok"] else {
                throw OperatorError(
                    "« \(name) » est abîmée (PRAGMA integrity_check : \(verdict.prefix(3).joined(separator: " ; ")))")
            }
            let tables = try await connection.query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [.text(MigrationLog.schema)])
            guard !tables.isEmpty else {
                throw OperatorError("« \(name) » n'est pas une base d'etrange (pas de table \(MigrationLog.schema))")
            }
            let applied = try await connection.query("SELECT name FROM \(MigrationLog.schema)").compactMap {
                $0.column("name")?.string
            }
            let known = Set(Migrations.all.map(\.name))
            let unknown = applied.filter { !known.contains($0) }
            guard unknown.isEmpty else {
                throw OperatorError(
                    "« \(name) » vient d'une version plus récente d'etrange (migrations inconnues : "
                        + unknown.prefix(3).joined(separator: ", ") + ")")
            }
            guard !applied.isEmpty else {
                throw OperatorError("« \(name) » n'est pas une base d'etrange (aucune migration appliquée)")
            }
            return applied.count
        }
    }

    private static func withConnection<T: Sendable>(
        _ path: String, app: Application, _ body: @Sendable (SQLiteConnection) async throws -> T
    ) async throws -> T {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: app.threadPool, logger: app.logger, on: app.eventLoopGroup.any())
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// `fsync` of a file or a folder (a folder, for the name just linked in it).
    static func sync(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0, fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            if descriptor >= 0 { close(descriptor) }
            throw OperatorError("impossible d'écrire « \(path) » sur le disque : \(reason)")
        }
        close(descriptor)
    }
}

/// The PostgreSQL tools' command lines, built from DATABASE_URL without its password (pg_dump
/// and pg_restore read it from PGPASSWORD or ~/.pgpass), for the host to run.
enum PostgresTools {
    static func command(_ tool: String, url: String, schema: String?) -> String {
        var components = URLComponents(string: url)
        components?.password = nil
        let address = components?.string ?? "postgres://…"
        let schemaOption = schema.map { " --schema=\(quote($0))" } ?? ""
        return "\(tool)\(schemaOption) --dbname=\(quote(address))"
    }

    /// Quoted for a POSIX shell.
    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
