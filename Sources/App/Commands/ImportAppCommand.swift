import Fluent
import Foundation
import Vapor

/// `etrange import-app DOSSIER`: loads the Étrange France mobile app's data, as its CRUD backend
/// serves each table, keeping the app's ids so that its links and QR codes keep working.
struct ImportAppCommand: EtrangeCommand {
    static let spec = CommandSpec(
        "import-app",
        summary: "Importe les comptes, parties, personnages et sessions de l'application mobile depuis DOSSIER.",
        details: "DOSSIER contient un fichier TABLE.json par table, tel que l'API de l'application le sert "
            + "({\"records\": […]}) : users, scenarios, parties, participants, characters, character_skills, "
            + "character_capacites, desk, sessions, session_participants, et les listes professions, skills, "
            + "hobbies, voies_etranges, capacites pour les noms de la fiche. Les ids de l'application sont "
            + "gardés ; tout est chargé en une transaction, et une ligne en faute refuse tout l'import. "
            + "Relancer l'import ne change rien. Exemple : Tests/fixtures/app-export/.",
        arguments: ["DOSSIER"])

    let folder: String

    init(_ arguments: ParsedArguments) {
        folder = arguments.positionals[0]
    }

    var database: DatabaseUse { .upToDate }

    func run(_ app: Application) async throws {
        print(try await Self.load(folder, on: app))
    }

    /// The summary `run` prints. A dump that breaks a rule prints one line per faulty row on the
    /// error output and fails as a whole.
    static func load(_ folder: String, on app: Application) async throws -> String {
        do {
            let (counts, plan) = try await perform(folder, on: app)
            return summary(counts, plan)
        } catch let refused as ImportRefused {
            FileHandle.standardError.write(Data(refused.lines.map { $0 + "\n" }.joined().utf8))
            throw OperatorError(
                "import refusé, rien n'a été écrit : \(refused.lines.count) ligne(s) en faute ci-dessus")
        }
    }

    /// The import itself: `ImportRefused` names every faulty row.
    static func perform(_ folder: String, on app: Application) async throws -> (AppImport.Counts, AppImportPlan) {
        let dump = try AppDump.read(folder)
        // A capacity of the reference lists raises its characteristic on the imported sheets too.
        let capacities = try await ReferenceEntry.query(on: app.db).filter(\.$kind == .capacity).all()
        let raises = Dictionary(
            capacities.compactMap { entry in entry.raises.map { (entry.name, $0) } }, uniquingKeysWith: { a, _ in a })
        let plan = try AppImportPlan(dump, raises: raises, now: app.clock.now())
        return (try await AppImport.run(plan, on: app), plan)
    }

    static func summary(_ counts: AppImport.Counts, _ plan: AppImportPlan) -> String {
        let tables = [
            "users", "scenarios", "parties", "participants", "characters", "sessions", "session_participants",
        ]
        var lines = ["Import de l'application terminé :"]
        for table in tables {
            lines.append("  \(table) : \(counts.added[table] ?? 0) ajouté(s), \(counts.present[table] ?? 0) déjà là")
        }
        for note in plan.notCarried { lines.append("  à savoir : \(note)") }
        return lines.joined(separator: "\n")
    }
}
