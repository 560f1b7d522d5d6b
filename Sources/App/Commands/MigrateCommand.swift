import Fluent
import SQLKit
import Vapor

/// `etrange migrate`: brings the database schema up to date and exits, without a prompt, so it
/// can run in deployment scripts; `--dry-run` only lists what it would apply.
struct MigrateCommand: EtrangeCommand {
    static let spec = CommandSpec(
        "migrate",
        summary: "Applique les migrations en attente de la base de données.",
        details: "« serve » les applique aussi au démarrage ; faites d'abord une sauvegarde (etrange backup).",
        options: [CommandOption("dry-run", help: "Liste les migrations en attente sans rien appliquer.")])

    let dryRun: Bool

    init(_ arguments: ParsedArguments) {
        dryRun = arguments.flag("dry-run")
    }

    var database: DatabaseUse { dryRun ? .existing : .created }

    func run(_ app: Application) async throws {
        let pending = try await Migrations.pending(on: app.db)
        let total = Migrations.all.count
        if dryRun {
            guard !pending.isEmpty else {
                print("Aucune migration en attente (\(total) appliquées).")
                return
            }
            print("\(pending.count) migration(s) en attente sur \(total) :")
            for migration in pending { print("  \(migration.name)") }
            return
        }
        try await Migrations.apply(app)
        print("Base de données à jour : \(pending.count) migration(s) appliquée(s), \(total) en tout.")
    }
}

extension Migrations {
    /// Applies the pending migrations; a failure names the one that failed, which Fluent's error
    /// does not (only its log does).
    static func apply(_ app: Application) async throws {
        do {
            try await app.autoMigrate()
        } catch {
            let failed = (try? await pending(on: app.db))?.first?.name ?? "?"
            throw OperatorError("la migration \(failed) a échoué : \(EtrangeMain.describe(error))")
        }
    }

    /// Those of `all` the database has not recorded yet, in the order they would run. Only reads:
    /// Fluent's own preview creates its table first.
    static func pending(on db: any Database) async throws -> [any Migration] {
        let applied = try await appliedNames(on: db)
        return all.filter { !applied.contains($0.name) }
    }

    static func appliedNames(on db: any Database) async throws -> Set<String> {
        let sql = db.sql
        let table = MigrationLog.schema
        let exists =
            if sql.dialect.name == "sqlite" {
                try await sql.raw("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = \(bind: table)")
                    .first() != nil
            } else {
                try await sql.raw("SELECT 1 AS found WHERE to_regclass(\(bind: table)) IS NOT NULL").first() != nil
            }
        guard exists else { return [] }
        return Set(try await MigrationLog.query(on: db).all().map(\.name))
    }
}
