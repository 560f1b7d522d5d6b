/// The game's reference lists an operator loads (`etrange import-reference`): professions, skills,
/// voies étranges and capacities. Sheets name their entries; the lists are what a form offers.
public struct ReferenceLists: Hashable, Sendable, Codable {
    public struct Entry: Hashable, Sendable, Codable {
        public var name: String
        /// A skill's profession, a capacity's voie.
        public var parent: String?
        /// The characteristic a capacity raises by its level.
        public var raises: String?

        public init(name: String, parent: String? = nil, raises: String? = nil) {
            self.name = name
            self.parent = parent
            self.raises = raises
        }
    }

    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        case profession, skill, voie, capacity

        public var label: String {
            switch self {
            case .profession: "profession"
            case .skill: "compétence"
            case .voie: "voie"
            case .capacity: "capacité"
            }
        }

        /// The list a skill's or a capacity's `parent` names.
        var parentKind: Kind? {
            switch self {
            case .skill: .profession
            case .capacity: .voie
            case .profession, .voie: nil
            }
        }
    }

    public var professions: [Entry]
    public var skills: [Entry]
    public var voies: [Entry]
    public var capacities: [Entry]

    public init(professions: [Entry] = [], skills: [Entry] = [], voies: [Entry] = [], capacities: [Entry] = []) {
        self.professions = professions
        self.skills = skills
        self.voies = voies
        self.capacities = capacities
    }

    public func entries(_ kind: Kind) -> [Entry] {
        switch kind {
        case .profession: professions
        case .skill: skills
        case .voie: voies
        case .capacity: capacities
        }
    }

    public static let maxNameLength = 80

    /// Names present, not too long, once per list; a parent named exists in its list.
    public func validate() throws(ReferenceError) {
        for kind in Kind.allCases {
            var seen = Set<String>()
            for entry in entries(kind) {
                let name = entry.name
                guard !name.allSatisfy(\.isWhitespace), name.count <= Self.maxNameLength else {
                    throw .badName(kind, name)
                }
                guard seen.insert(name).inserted else { throw .duplicate(kind, name) }
                if let parent = entry.parent, let parentKind = kind.parentKind,
                    !entries(parentKind).contains(where: { $0.name == parent })
                {
                    throw .unknownParent(kind, name, parent: parent)
                }
            }
        }
    }
}

public enum ReferenceError: Error, Hashable, Sendable {
    case badName(ReferenceLists.Kind, String)
    case duplicate(ReferenceLists.Kind, String)
    case unknownParent(ReferenceLists.Kind, String, parent: String)

    public var reason: String {
        switch self {
        case .badName(let kind, let name):
            "nom de \(kind.label) vide ou de plus de \(ReferenceLists.maxNameLength) caractères : « \(name.prefix(90)) »"
        case .duplicate(let kind, let name): "\(kind.label) « \(name) » en double"
        case .unknownParent(let kind, let name, let parent):
            "la \(kind.label) « \(name) » se rattache à « \(parent) », absente de la liste des \(kind.parentKind!.label)s"
        }
    }
}
