import EtrangeDomain
import Fluent
import Vapor

/// One entry of the reference lists, as `etrange import-reference` loaded it.
final class ReferenceEntry: Model, @unchecked Sendable {
    static let schema = "reference_entries"

    @ID(custom: .id) var id: Int?
    @Enum(key: "kind") var kind: ReferenceLists.Kind
    @Field(key: "name") var name: String
    @OptionalField(key: "parent") var parent: String?
    @OptionalField(key: "raises") var raises: String?

    init() {}

    init(_ kind: ReferenceLists.Kind, _ entry: ReferenceLists.Entry) {
        self.kind = kind
        name = entry.name
        parent = entry.parent
        raises = entry.raises
    }

    /// The lists as stored, each in the order it was imported.
    static func lists(on db: any Database) async throws -> ReferenceLists {
        let rows = try await ReferenceEntry.query(on: db).sort(\.$id).all()
        func entries(_ kind: ReferenceLists.Kind) -> [ReferenceLists.Entry] {
            rows.filter { $0.kind == kind }.map { .init(name: $0.name, parent: $0.parent, raises: $0.raises) }
        }
        return ReferenceLists(
            professions: entries(.profession), skills: entries(.skill), voies: entries(.voie),
            capacities: entries(.capacity))
    }

    /// Each list the file holds replaces the stored one, all in one transaction; a list the file
    /// leaves empty is kept as it was.
    static func replace(with lists: ReferenceLists, on db: any Database) async throws {
        try await db.transaction { db in
            for kind in ReferenceLists.Kind.allCases where !lists.entries(kind).isEmpty {
                try await ReferenceEntry.query(on: db).filter(\.$kind == kind).delete()
                for entry in lists.entries(kind) { try await ReferenceEntry(kind, entry).create(on: db) }
            }
        }
    }
}

extension ReferenceLists: Content {}

/// The reference lists, for a sheet's form: any signed-in person may read them.
struct ReferenceController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.grouped(TokenAuthMiddleware()).get("api", "reference") { req async throws -> ReferenceLists in
            _ = try req.caller
            return try await ReferenceEntry.lists(on: req.db)
        }
    }
}
