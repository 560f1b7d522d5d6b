/// A characteristic on a sheet. Names are data, so a table may rename or add some.
public struct SheetCharacteristic: Hashable, Sendable, Codable {
    public var name: String
    public var value: Int
    /// Another characteristic that lowers this one in a test, never below 0: in the app, Santé
    /// counts as santé − dégâts.
    public var reducedBy: String?

    public init(name: String, value: Int, reducedBy: String? = nil) {
        self.name = name
        self.value = value
        self.reducedBy = reducedBy
    }
}

/// A skill or a capacity and its level.
public struct SheetAbility: Hashable, Sendable, Codable {
    public var name: String
    public var level: Int
    /// A capacity may raise a characteristic by its level (in the app, one raises Force and
    /// another Dextérité); a skill raises none.
    public var raises: String?

    public init(name: String, level: Int, raises: String? = nil) {
        self.name = name
        self.level = level
        self.raises = raises
    }
}

/// The profession, the hobby or the voie étrange, with its score.
public struct SheetScore: Hashable, Sendable, Codable {
    public var name: String
    public var score: Int

    public init(name: String, score: Int) {
        self.name = name
        self.score = score
    }
}

/// What an effect is tied to: the characteristic, skill or capacity a test names.
public enum EffectTarget: Hashable, Sendable, Codable {
    case characteristic(String)
    case skill(String)
    case capacity(String)

    public var name: String {
        switch self {
        case .characteristic(let name), .skill(let name), .capacity(let name): name
        }
    }

    private enum CodingKeys: String, CodingKey { case kind, name }
    private enum Kind: String, Codable { case characteristic, skill, capacity }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .name)
        self =
            switch try container.decode(Kind.self, forKey: .kind) {
            case .characteristic: .characteristic(name)
            case .skill: .skill(name)
            case .capacity: .capacity(name)
            }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let (kind, name): (Kind, String) =
            switch self {
            case .characteristic(let name): (.characteristic, name)
            case .skill(let name): (.skill, name)
            case .capacity(let name): (.capacity, name)
            }
        try container.encode(kind, forKey: .kind)
        try container.encode(name, forKey: .name)
    }
}

/// « Effet déclenché »: fires when the card kept is this one and the test naming the target
/// succeeds.
public struct TriggeredEffect: Hashable, Sendable, Codable {
    public var rank: Rank
    public var suit: Suit
    public var target: EffectTarget
    public var description: String

    public init(rank: Rank, suit: Suit, target: EffectTarget, description: String) {
        self.rank = rank
        self.suit = suit
        self.target = target
        self.description = description
    }
}

/// What a test names on a sheet, by name.
public struct SheetReference: Hashable, Sendable, Codable {
    public var characteristic: String?
    public var skill: String?
    public var capacity: String?

    public init(characteristic: String? = nil, skill: String? = nil, capacity: String? = nil) {
        self.characteristic = characteristic
        self.skill = skill
        self.capacity = capacity
    }

    /// The targets an effect may be tied to, in the app's order of precedence: skill or capacity
    /// first, then the characteristic.
    var targets: [EffectTarget] {
        [
            skill.map(EffectTarget.skill), capacity.map(EffectTarget.capacity),
            characteristic.map(EffectTarget.characteristic),
        ]
        .compactMap { $0 }
    }
}

public enum SheetError: Error, Hashable, Sendable {
    case unknownCharacteristic(String)
    case unknownSkill(String)
    case unknownCapacity(String)
    case skillAndCapacity
    case nothingNamed
    case duplicate(kind: String, name: String)
    case raisesUnknown(capacity: String, characteristic: String)
    case reducedByUnknown(characteristic: String, by: String)
    case effectTargetUnknown(String)

    public var reason: String {
        switch self {
        case .unknownCharacteristic(let name): "La fiche n'a pas de caractéristique « \(name) »."
        case .unknownSkill(let name): "La fiche n'a pas de compétence « \(name) »."
        case .unknownCapacity(let name): "La fiche n'a pas de capacité « \(name) »."
        case .skillAndCapacity: "Un test nomme une compétence ou une capacité, pas les deux."
        case .nothingNamed: "Nommez au moins une caractéristique, une compétence ou une capacité de la fiche."
        case .duplicate(let kind, let name): "La fiche a deux \(kind) « \(name) »."
        case .raisesUnknown(let capacity, let characteristic):
            "La capacité « \(capacity) » augmente « \(characteristic) », que la fiche n'a pas."
        case .reducedByUnknown(let characteristic, let by):
            "« \(characteristic) » est diminuée par « \(by) », que la fiche n'a pas."
        case .effectTargetUnknown(let name): "Un effet déclenché vise « \(name) », que la fiche n'a pas."
        }
    }
}

/// What a test needs of a character.
public struct CharacterSheet: Hashable, Sendable, Codable {
    public var characteristics: [SheetCharacteristic]
    public var skills: [SheetAbility]
    public var capacities: [SheetAbility]
    public var profession: SheetScore?
    public var hobby: SheetScore?
    public var voie: SheetScore?
    public var effects: [TriggeredEffect]

    public init(
        characteristics: [SheetCharacteristic] = [], skills: [SheetAbility] = [], capacities: [SheetAbility] = [],
        profession: SheetScore? = nil, hobby: SheetScore? = nil, voie: SheetScore? = nil,
        effects: [TriggeredEffect] = []
    ) {
        self.characteristics = characteristics
        self.skills = skills
        self.capacities = capacities
        self.profession = profession
        self.hobby = hobby
        self.voie = voie
        self.effects = effects
    }

    /// The app's characteristics, at its defaults: 1 each, santé and dégâts 0.
    public static let appDefaults = CharacterSheet(
        characteristics: ["Force", "Dextérité", "Intelligence", "Charisme", "Mémoire", "Volonté"].map {
            SheetCharacteristic(name: $0, value: 1)
        } + [
            SheetCharacteristic(name: "Santé", value: 0, reducedBy: "Dégâts"),
            SheetCharacteristic(name: "Dégâts", value: 0),
        ])

    /// A sheet whose names point nowhere is refused when written, rather than found wrong in a
    /// test: names are unique in each list, and what raises, reduces or triggers exists.
    public func validate() throws(SheetError) {
        for (kind, names) in [
            ("caractéristiques", characteristics.map(\.name)), ("compétences", skills.map(\.name)),
            ("capacités", capacities.map(\.name)),
        ] {
            var seen = Set<String>()
            for name in names where !seen.insert(name).inserted { throw .duplicate(kind: kind, name: name) }
        }
        let characteristicNames = Set(characteristics.map(\.name))
        for capacity in capacities {
            if let raised = capacity.raises, !characteristicNames.contains(raised) {
                throw .raisesUnknown(capacity: capacity.name, characteristic: raised)
            }
        }
        for characteristic in characteristics {
            if let by = characteristic.reducedBy, !characteristicNames.contains(by) {
                throw .reducedByUnknown(characteristic: characteristic.name, by: by)
            }
        }
        for effect in effects {
            let known =
                switch effect.target {
                case .characteristic(let name): characteristicNames.contains(name)
                case .skill(let name): skills.contains { $0.name == name }
                case .capacity(let name): capacities.contains { $0.name == name }
                }
            if !known { throw .effectTargetUnknown(effect.target.name) }
        }
    }

    /// The terms a test adds to the card, as the app computes them: the characteristic (and each
    /// capacity raising it, and what reduces it, floored so the characteristic never goes below
    /// 0), then the skill's level and the profession's score, or the capacity's level and the
    /// voie's score. Each is its own term, so the result shows where every point comes from.
    public func terms(for reference: SheetReference) throws(SheetError) -> [Bonus] {
        if reference.skill != nil && reference.capacity != nil { throw .skillAndCapacity }
        guard reference.characteristic != nil || reference.skill != nil || reference.capacity != nil else {
            throw .nothingNamed
        }
        var terms: [Bonus] = []
        if let name = reference.characteristic {
            guard let characteristic = characteristics.first(where: { $0.name == name }) else {
                throw .unknownCharacteristic(name)
            }
            terms.append(Bonus(name: characteristic.name, value: characteristic.value))
            for capacity in capacities where capacity.raises == name {
                terms.append(Bonus(name: capacity.name, value: capacity.level))
            }
            if let reducer = characteristic.reducedBy.flatMap({ name in characteristics.first { $0.name == name } }) {
                let raised = terms.reduce(0) { $0 + $1.value }
                terms.append(Bonus(name: reducer.name, value: -min(reducer.value, max(raised, 0))))
            }
        }
        if let name = reference.skill {
            guard let skill = skills.first(where: { $0.name == name }) else { throw .unknownSkill(name) }
            terms.append(Bonus(name: skill.name, value: skill.level))
            if let profession { terms.append(Bonus(name: profession.name, value: profession.score)) }
        }
        if let name = reference.capacity {
            guard let capacity = capacities.first(where: { $0.name == name }) else { throw .unknownCapacity(name) }
            terms.append(Bonus(name: capacity.name, value: capacity.level))
            if let voie { terms.append(Bonus(name: voie.name, value: voie.score)) }
        }
        return terms
    }

    /// `request` with its terms taken from this sheet when it names a reference (its first term
    /// is the characteristic when one is named); a request of typed-in terms is left as it is.
    public func filling(_ request: TestRequest) throws(SheetError) -> TestRequest {
        guard let reference = request.reference else { return request }
        var terms = try terms(for: reference)
        var filled = request
        let characteristic = reference.characteristic != nil ? terms.removeFirst() : nil
        filled.characteristic = characteristic.map { Characteristic(name: $0.name, value: $0.value) }
        filled.bonuses = terms
        return filled
    }
}

/// The app's difficulty presets. A free number stays possible: a preset is a name for a number.
public enum DifficultyPreset: String, Hashable, Sendable, Codable, CaseIterable {
    case facile, normal, difficile
    case tresDifficile = "tres_difficile"
    case quasiImpossible = "quasi_impossible"

    public var value: Int {
        switch self {
        case .facile: 5
        case .normal: 10
        case .difficile: 12
        case .tresDifficile: 15
        case .quasiImpossible: 20
        }
    }

    public var label: String {
        switch self {
        case .facile: "Facile"
        case .normal: "Normal"
        case .difficile: "Difficile"
        case .tresDifficile: "Très difficile"
        case .quasiImpossible: "Quasi impossible"
        }
    }
}
