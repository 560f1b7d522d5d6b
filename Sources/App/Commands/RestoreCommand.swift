import Foundation
import Vapor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `etrange restore FILE`: puts a backup back in place of the SQLite database, only while nothing
/// uses it (`DatabaseLock`, held by every command that opens it), and only a sound database of
/// this server. The database it replaces is kept beside it, renamed, never deleted.
struct RestoreCommand: FileCommand {
    static let spec = CommandSpec(
        "restore",
        summary: "Remet la base SQLite depuis la sauvegarde FICHIER ; le serveur doit être arrêté.",
        details: "Vérifie d'abord FICHIER (PRAGMA integrity_check, migrations de ce serveur). L'ancienne base "
            + "est gardée à côté, renommée « …avant-restauration-DATE ». Les migrations plus récentes que la "
            + "sauvegarde s'appliquent au prochain « etrange serve ». Sur PostgreSQL, affiche la commande "
            + "pg_restore à lancer.",
        arguments: ["FICHIER"])

    let file: String

    func run(_ app: Application) async throws {
        let path = try sqlitePath(app.config) { url in
            "sur PostgreSQL, la restauration se fait avec pg_restore ; serveur arrêté, lancez : "
                + PostgresTools.command(
                    "pg_restore --clean --if-exists --no-owner", url: url, schema: app.config.databaseSchema)
                + " " + PostgresTools.quote(file)
        }
        let backup = DatabaseFiles.absolute(file)
        let target = DatabaseFiles.absolute(path)
        guard FileManager.default.fileExists(atPath: backup) else {
            throw OperatorError("la sauvegarde « \(file) » n'existe pas")
        }
        guard backup != target else {
            throw OperatorError("« \(file) » est la base elle-même (DATABASE_URL)")
        }
        let migrations = try await SQLiteCopy.check(backup, app: app, name: file)
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let lock = try DatabaseLock(database: target, exclusive: true)
        let staging = target + ".restauration"
        unlink(staging)
        // A copy rather than a rename: the backup stays as it was, and the copy lands on the
        // database's own disk, where the rename below is atomic.
        _ = try await SQLiteCopy.write(from: backup, to: staging, app: app)
        // Copied before anything is moved: a copy that fails leaves the database as it was.
        let handouts: StagedHandouts?
        do {
            handouts = try stageHandouts(from: backup, besideDatabaseAt: target)
        } catch {
            unlink(staging)
            throw error
        }
        var kept: String?
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        if FileManager.default.fileExists(atPath: target) {
            let aside = "\(target).avant-restauration-\(stamp)"
            // The write-ahead log goes with its file: a server killed without its final
            // checkpoint left commits there, and the kept database must still hold them.
            for suffix in [""] + DatabaseFiles.companions where FileManager.default.fileExists(atPath: target + suffix)
            {
                try move(target + suffix, to: aside + suffix)
            }
            kept = aside
        }
        try move(staging, to: target)
        let placed = try handouts.map { try place($0, stamp: stamp) } ?? ""
        try SQLiteCopy.sync((target as NSString).deletingLastPathComponent)
        withExtendedLifetime(lock) {}
        let pending = Migrations.all.count - migrations
        print(
            "Base restaurée depuis « \(file) » (\(migrations) migrations"
                + (pending > 0 ? ", \(pending) à appliquer au prochain démarrage" : "") + ")."
                + (kept.map { " L'ancienne est gardée dans « \($0) »." } ?? "") + placed)
    }

    private struct StagedHandouts {
        let staging: URL
        let live: URL
        let files: Int
    }

    /// The backup's handouts folder, copied beside the database's. A backup without one (taken
    /// before handouts, or with none) leaves the folder as it is: its files are named by id and
    /// harm no row.
    private func stageHandouts(from backup: String, besideDatabaseAt target: String) throws -> StagedHandouts? {
        let saved = Application.handoutFolder(forDatabaseAt: backup)
        guard FileManager.default.fileExists(atPath: saved.path) else { return nil }
        let live = Application.handoutFolder(forDatabaseAt: target)
        let staging = URL(fileURLWithPath: live.path + ".restauration", isDirectory: true)
        try? FileManager.default.removeItem(at: staging)
        let files = try HandoutFolderCopy.copy(from: saved, to: staging) ?? 0
        return StagedHandouts(staging: staging, live: live, files: files)
    }

    /// Puts the staged folder in place, the old one kept aside as the database is. Returns what to
    /// tell the operator.
    private func place(_ handouts: StagedHandouts, stamp: String) throws -> String {
        var aside = ""
        if FileManager.default.fileExists(atPath: handouts.live.path) {
            let name = handouts.live.path + ".avant-restauration-" + stamp
            try move(handouts.live.path, to: name)
            aside = " (les anciens gardés dans « \(name) »)"
        }
        try move(handouts.staging.path, to: handouts.live.path)
        return " Documents remis : \(handouts.files) fichiers\(aside)."
    }

    private func move(_ source: String, to destination: String) throws {
        guard rename(source, destination) == 0 else {
            throw OperatorError(
                "impossible de renommer « \(source) » en « \(destination) » : \(String(cString: strerror(errno)))")
        }
    }
}
