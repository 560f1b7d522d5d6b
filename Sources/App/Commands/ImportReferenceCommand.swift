import EtrangeDomain
import Foundation
import Vapor

/// `etrange import-reference FILE.json`: loads the reference lists (professions, skills, voies,
/// capacities) a sheet's form offers. Each list present in the file replaces the stored one.
struct ImportReferenceCommand: EtrangeCommand {
    static let spec = CommandSpec(
        "import-reference",
        summary: "Charge les listes de référence (professions, compétences, voies, capacités) depuis FICHIER.",
        details: "FICHIER est un JSON {\"professions\": [{\"name\": …}], \"skills\": [{\"name\": …, \"parent\": "
            + "profession}], \"voies\": […], \"capacities\": [{\"name\": …, \"parent\": voie, \"raises\": "
            + "caractéristique}]}. Chaque liste présente remplace celle de la base ; une liste absente est gardée. "
            + "Exemple : Tests/fixtures/reference-example.json.",
        arguments: ["FICHIER"])

    let file: String

    init(_ arguments: ParsedArguments) {
        file = arguments.positionals[0]
    }

    var database: DatabaseUse { .upToDate }

    func run(_ app: Application) async throws {
        let lists = try Self.read(file)
        try await ReferenceEntry.replace(with: lists, on: app.db)
        let counts = ReferenceLists.Kind.allCases.map { "\(lists.entries($0).count) \($0.label)(s)" }
        print("Listes de référence chargées : \(counts.joined(separator: ", ")).")
    }

    /// The file's lists, checked; every failure is one line naming the file.
    static func read(_ file: String) throws -> ReferenceLists {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw OperatorError("le fichier « \(file) » n'existe pas ou ne se lit pas")
        }
        struct File: Decodable {
            var professions: [ReferenceLists.Entry]?
            var skills: [ReferenceLists.Entry]?
            var voies: [ReferenceLists.Entry]?
            var capacities: [ReferenceLists.Entry]?
        }
        let decoded: File
        do {
            decoded = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw OperatorError("« \(file) » n'est pas un JSON de listes de référence : \(error)")
        }
        let lists = ReferenceLists(
            professions: decoded.professions ?? [], skills: decoded.skills ?? [], voies: decoded.voies ?? [],
            capacities: decoded.capacities ?? [])
        do {
            try lists.validate()
        } catch {
            throw OperatorError("« \(file) » : \(error.reason)")
        }
        return lists
    }
}
