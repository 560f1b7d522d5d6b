import EtrangeDomain
import Fluent
import Foundation

/// The rows `etrange import-app` writes, read from the app's dump and checked against this
/// server's rules before the database is touched. What maps to what is in the README
/// (« Importer les données de l'application »).
struct AppImportPlan: Sendable {
    struct UserRow: Sendable {
        let id: Int
        let username: String
        let displayName: String?
        /// The app's SHA-256 of the password, lower-case hex: bcrypt of it is stored.
        let digest: String
        let createdAt: Date
        /// When the app says the account was made: with the name, what tells an account imported
        /// before from one of the same name made here.
        let appCreatedAt: Date?
        let label: String
    }

    /// One of this server's rows, made from the app's row `label` names.
    struct Planned<Row: Model>: Sendable {
        let row: Row
        let label: String
    }

    var users: [UserRow] = []
    var scenarios: [Planned<Scenario>] = []
    var parties: [Planned<Partie>] = []
    var members: [Planned<PartieMember>] = []
    var characters: [Planned<Character>] = []
    var sessions: [Planned<Session>] = []
    var seats: [Planned<SessionParticipant>] = []
    /// What the dump holds that this server has no place for, counted, for the summary.
    var notCarried: [String] = []

    /// The app's suits, as its `desk.figure` names them.
    static let suits: [String: Suit] = ["Pique": .spades, "Coeur": .hearts, "Carreau": .diamonds, "Trèfle": .clubs]
    /// The app's characteristic columns, as its sheet labels them (`CharacterSheet.appDefaults`).
    static let characteristics: [(column: String, name: String)] = [
        ("force", "Force"), ("dexterite", "Dextérité"), ("intelligence", "Intelligence"), ("charisme", "Charisme"),
        ("memoire", "Mémoire"), ("volonte", "Volonté"), ("sante", "Santé"), ("degats", "Dégâts"),
    ]

    /// Checks every row of `dump`; `raises` is the characteristic each capacity of this server's
    /// reference lists raises, by name. All the rows that break a rule are refused together.
    init(_ dump: AppDump, raises: [String: String], now: Date) throws(ImportRefused) {
        var problems: [String] = []
        func each(_ table: String, _ body: (AppRecord) throws(ImportRefused) -> Void) {
            for record in dump.rows(table) {
                do throws(ImportRefused) {
                    try body(record)
                } catch {
                    problems += error.lines
                }
            }
        }
        func refuse(_ record: AppRecord, _ what: String) -> ImportRefused {
            ImportRefused(lines: ["\(record.label) : \(what)"])
        }
        func unique<Key: Hashable>(_ key: Key, in seen: inout Set<Key>, _ record: AppRecord) throws(ImportRefused) {
            guard seen.insert(key).inserted else { throw refuse(record, "id en double dans le fichier") }
        }

        // Names of the reference tables, by the app's id: the sheet keeps names.
        var names: [String: [Int: String]] = [:]
        for table in AppDump.referenceTables {
            each(table) { record throws(ImportRefused) in
                names[table, default: [:]][try record.int("id")] = try record.string("name")
            }
        }
        func name(_ table: String, _ id: Int, _ record: AppRecord, _ column: String) throws(ImportRefused) -> String {
            guard let name = names[table]?[id] else {
                throw refuse(record, "\(column) \(id) ne correspond à aucune ligne de \(table).json")
            }
            return name
        }

        var userIDs = Set<Int>()
        var keys: [String: String] = [:]
        each("users") { record throws(ImportRefused) in
            let id = try record.int("id")
            try unique(id, in: &userIDs, record)
            // The app signs up with « login »; some of its screens read « username ».
            let raw = try record.string(record.isPresent("login") ? "login" : "username")
            let username = Username.normalized(raw)
            if Username.refusal(username) != nil {
                do {
                    _ = try AccountsController.validUsername(raw)
                } catch {
                    throw refuse(record, "nom d'utilisateur « \(raw.prefix(40)) » refusé : \(Self.reason(error))")
                }
            }
            for key in [User.key(for: username), "~" + Username.skeleton(username)] {
                if let other = keys[key] {
                    throw refuse(record, "« \(username) » ressemble trop à « \(other) », déjà dans le fichier")
                }
            }
            keys[User.key(for: username)] = username
            keys["~" + Username.skeleton(username)] = username
            let digest = try record.string("password_hash").lowercased()
            guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
                throw refuse(record, "password_hash n'est pas un SHA-256 en hexadécimal")
            }
            let displayName: String?
            do {
                displayName = try AccountsController.validDisplayName(record.optionalString("pseudo"))
            } catch {
                throw refuse(record, "pseudo refusé : \(Self.reason(error))")
            }
            let created = try record.date("created_at")
            users.append(
                UserRow(
                    id: id, username: username, displayName: displayName, digest: digest, createdAt: created ?? now,
                    appCreatedAt: created, label: record.label))
        }
        if dump.rows("users").contains(where: { $0.isPresent("email") }) {
            notCarried.append("les adresses e-mail des comptes (ce serveur n'en garde pas)")
        }

        var scenarioTitles: [Int: String] = [:]
        each("scenarios") { record throws(ImportRefused) in
            let id = try record.int("id")
            guard scenarioTitles[id] == nil else { throw refuse(record, "id en double dans le fichier") }
            let title = try Self.bounded(record, "titre", record.string("titre"), 200)
            scenarioTitles[id] = title
            let scenario = Scenario(
                title: title, description: try record.optionalString("pitch"), creatorID: nil,
                now: try record.date("created_at") ?? now)
            scenario.id = id
            scenarios.append(Planned(row: scenario, label: record.label))
        }
        if dump.rows("scenarios").contains(where: { $0.isPresent("secrets") }) {
            notCarried.append("les secrets des scénarios (la description d'un scénario est lue par les joueurs)")
        }

        var partieMJ: [Int: Int] = [:]
        var invites = Set<UUID>()
        each("parties") { record throws(ImportRefused) in
            let id = try record.int("id")
            guard partieMJ[id] == nil else { throw refuse(record, "id en double dans le fichier") }
            let mjID = try record.int("mj_id")
            guard userIDs.contains(mjID) else { throw refuse(record, "mj_id \(mjID) n'est aucun compte de users.json") }
            let scenarioID = try record.optionalInt("scenario_id")
            if let scenarioID, scenarioTitles[scenarioID] == nil {
                throw refuse(record, "scenario_id \(scenarioID) n'est aucun scénario de scenarios.json")
            }
            var invite: UUID?
            if let code = try record.optionalString("qr_code") {
                guard let uuid = UUID(uuidString: code.trimmingCharacters(in: .whitespaces)) else {
                    throw refuse(record, "qr_code « \(code.prefix(40)) » n'est pas un UUID")
                }
                guard invites.insert(uuid).inserted else { throw refuse(record, "qr_code en double dans le fichier") }
                invite = uuid
            }
            // The app names a partie by its scenario; a name of its own (« nom ») wins.
            let named = try record.optionalString("nom") ?? scenarioID.flatMap { scenarioTitles[$0] } ?? "Partie \(id)"
            partieMJ[id] = mjID
            let createdAt = try record.date("created_at") ?? now
            // Its own invitation code beside the app's QR code, as any partie here has one.
            let partie = Partie(
                name: String(named.prefix(100)), scenarioID: scenarioID, mjID: mjID, inviteCode: InviteCode.generate(),
                now: createdAt)
            partie.id = id
            partie.legacyInvite = invite
            partie.updatedAt = try record.date("updated_at") ?? createdAt
            parties.append(Planned(row: partie, label: record.label))
        }

        // Memberships: the app's participants, and the MJ of each partie, who is a member here.
        var memberPairs = Set<[Int]>()
        var memberIDs = Set<Int>()
        var repeated = 0
        func member(_ id: UUID, _ partieID: Int, _ userID: Int, _ joinedAt: Date, _ label: String) {
            let member = PartieMember(partieID: partieID, userID: userID, now: joinedAt)
            member.id = id
            members.append(Planned(row: member, label: label))
        }
        each("participants") { record throws(ImportRefused) in
            let id = try record.int("id")
            try unique(id, in: &memberIDs, record)
            let partieID = try record.int("partie_id")
            let userID = try record.int("user_id")
            guard partieMJ[partieID] != nil else {
                throw refuse(record, "partie_id \(partieID) n'est aucune partie de parties.json")
            }
            guard userIDs.contains(userID) else {
                throw refuse(record, "user_id \(userID) n'est aucun compte de users.json")
            }
            // The app's join screen adds a row at each scan: the same membership again.
            guard memberPairs.insert([partieID, userID]).inserted else {
                repeated += 1
                return
            }
            member(
                AppIDs.uuid("participants", id), partieID, userID,
                try Self.firstDate(record, "joined_at", "created_at") ?? now, record.label)
        }
        if repeated > 0 { notCarried.append("\(repeated) participation(s) répétée(s) à une même partie (fusionnées)") }
        for partie in parties {
            let mjID = partie.row.$mj.id
            guard let id = partie.row.id, memberPairs.insert([id, mjID]).inserted else { continue }
            member(AppIDs.uuid("parties-mj", id), id, mjID, partie.row.createdAt, partie.label)
        }

        // Characters: their sheet gathers the app's columns, skills and capacities; their deck
        // the app's desk rows.
        struct Sheetless {
            var record: AppRecord
            var id: UUID
            var userID: Int
            var name: String
            var sheet: CharacterSheet
            var triggers: [AppValue]
            var createdAt: Date
        }
        var pending: [UUID: Sheetless] = [:]
        var characterOrder: [UUID] = []
        var ignoredColumns = Set<String>()
        each("characters") { record throws(ImportRefused) in
            guard let id = try record.uuidKey("id", table: "characters") else { throw refuse(record, "id manque") }
            guard pending[id] == nil else { throw refuse(record, "id en double dans le fichier") }
            let userID = try record.int("user_id")
            guard userIDs.contains(userID) else {
                throw refuse(record, "user_id \(userID) n'est aucun compte de users.json")
            }
            var sheet = CharacterSheet.appDefaults
            for (index, characteristic) in Self.characteristics.enumerated() {
                sheet.characteristics[index].value = try record.int(
                    characteristic.column, default: sheet.characteristics[index].value)
            }
            for (table, column, score, keyPath) in [
                ("professions", "profession_id", "profession_score", \CharacterSheet.profession),
                ("hobbies", "hobby_id", "hobby_score", \CharacterSheet.hobby),
                ("voies_etranges", "voie_id", "voie_score", \CharacterSheet.voie),
            ] {
                if let reference = try record.optionalInt(column) {
                    sheet[keyPath: keyPath] = SheetScore(
                        name: try name(table, reference, record, column), score: try record.int(score, default: 0))
                }
            }
            for column in ["divinity_id", "origines", "rencontres", "notes", "equipement", "fetiches", "bonuses"]
            where record.isPresent(column) {
                ignoredColumns.insert(column)
            }
            pending[id] = Sheetless(
                record: record, id: id, userID: userID,
                name: try Self.bounded(record, "name", record.string("name"), 100), sheet: sheet,
                triggers: try record.jsonList("trigger_effects"), createdAt: try record.date("created_at") ?? now)
            characterOrder.append(id)
        }
        if !ignoredColumns.isEmpty {
            notCarried.append(
                "les colonnes \(ignoredColumns.sorted().joined(separator: ", ")) des personnages (la fiche n'a pas de place pour elles)"
            )
        }
        func character(_ record: AppRecord) throws(ImportRefused) -> UUID {
            guard let id = try record.uuidKey("character_id", table: "characters"), pending[id] != nil else {
                throw refuse(record, "character_id n'est aucun personnage de characters.json")
            }
            return id
        }
        for (table, referenceTable, column, isCapacity) in [
            ("character_skills", "skills", "skill_id", false),
            ("character_capacites", "capacites", "capacite_id", true),
        ] {
            each(table) { record throws(ImportRefused) in
                let id = try character(record)
                let abilityName = try name(referenceTable, try record.int(column), record, column)
                let ability = SheetAbility(
                    name: abilityName, level: try record.int("level"), raises: isCapacity ? raises[abilityName] : nil)
                if isCapacity {
                    pending[id]?.sheet.capacities.append(ability)
                } else {
                    pending[id]?.sheet.skills.append(ability)
                }
            }
        }
        var decks: [UUID: [DeckRow]] = [:]
        each("desk") { record throws(ImportRefused) in
            let id = try character(record)
            let figure = try record.string("figure")
            guard let suit = Self.suits[figure] else {
                throw refuse(record, "figure « \(figure.prefix(20)) » n'est ni Pique, ni Coeur, ni Carreau, ni Trèfle")
            }
            var ranks: [Rank] = []
            for value in try record.string("cards").split(separator: ";") {
                let trimmed = value.trimmingCharacters(in: .whitespaces)
                guard let rank = Rank(rawValue: trimmed) else {
                    throw refuse(record, "carte « \(trimmed.prefix(10)) » inconnue (A, 2 à 10, J, Q, K)")
                }
                ranks.append(rank)
            }
            decks[id, default: []].append(DeckRow(suit: suit, ranks: ranks))
        }
        var skippedTriggers = 0
        var characterOwner: [UUID: Int] = [:]
        for id in characterOrder {
            guard var draft = pending[id] else { continue }
            do throws(ImportRefused) {
                for trigger in draft.triggers {
                    guard let effect = try Self.effect(trigger, draft.record, names["capacites"] ?? [:]) else {
                        skippedTriggers += 1
                        continue
                    }
                    draft.sheet.effects.append(effect)
                }
                do {
                    try draft.sheet.validate()
                } catch {
                    throw refuse(draft.record, error.reason)
                }
                let rows = decks[id] ?? []
                characterOwner[id] = draft.userID
                // The app deals the first row's suit as the character's, its pot's figures.
                let character = Character(
                    name: draft.name, userID: draft.userID, partieID: nil, figure: rows.first?.suit,
                    now: draft.createdAt)
                character.id = id
                character.sheetJSON = Character.encode(draft.sheet)
                if !rows.isEmpty { character.deckRowsJSON = Character.encode(rows) }
                characters.append(Planned(row: character, label: draft.record.label))
            } catch {
                problems += error.lines
            }
        }
        if skippedTriggers > 0 {
            notCarried.append(
                "\(skippedTriggers) effet(s) déclenché(s) sur une profession, un hobby ou une voie (un effet vise ici une caractéristique, une compétence ou une capacité)"
            )
        }

        var sessionPartie: [UUID: Int] = [:]
        var running: [Int: String] = [:]
        each("sessions") { record throws(ImportRefused) in
            guard let id = try record.uuidKey("id", table: "sessions") else { throw refuse(record, "id manque") }
            guard sessionPartie[id] == nil else { throw refuse(record, "id en double dans le fichier") }
            let partieID = try record.int("partie_id")
            guard partieMJ[partieID] != nil else {
                throw refuse(record, "partie_id \(partieID) n'est aucune partie de parties.json")
            }
            let raw = try record.optionalString("status") ?? SessionStatus.scheduled.rawValue
            guard let status = Self.status(raw) else {
                throw refuse(
                    record, "statut « \(raw.prefix(20)) » inconnu (scheduled, active, paused, completed, cancelled)")
            }
            if status.isRunning {
                if let other = running[partieID] {
                    throw refuse(
                        record, "la partie \(partieID) a déjà une session en cours (\(other)) : une seule à la fois")
                }
                running[partieID] = record.label
            }
            let maxPlayers = try record.int("max_players", default: 6)
            guard (1...20).contains(maxPlayers) else { throw refuse(record, "max_players doit être entre 1 et 20") }
            let duration = try record.optionalInt("duration_minutes")
            if let duration, duration < 0 { throw refuse(record, "duration_minutes est négative") }
            let createdAt = try record.date("created_at") ?? now
            sessionPartie[id] = partieID
            let session = Session(
                partieID: partieID, name: try Self.bounded(record, "name", record.string("name"), 100),
                description: try record.optionalString("description"), scheduledDate: try record.date("scheduled_date"),
                maxPlayers: maxPlayers, allowLateJoin: try record.bool("allow_late_join", default: true), now: createdAt
            )
            session.id = id
            session.status = status
            session.startedAt = try record.date("started_at")
            session.endedAt = try record.date("ended_at")
            session.durationMinutes = duration
            // The time played the app measured; none is running, no one being at the table.
            session.activeSeconds = Double(duration ?? 0) * 60
            session.summary = try record.optionalString("summary")
            session.notes = try record.optionalString("notes")
            session.updatedAt = try record.date("updated_at") ?? createdAt
            sessions.append(Planned(row: session, label: record.label))
        }
        if dump.rows("sessions").contains(where: { ($0.fields["status"] ?? .null) == .string("active") }) {
            notCarried.append(
                "l'état « active » des sessions, importées en pause (personne n'y joue au moment de l'import)")
        }

        var seatIndex: [[String]: Int] = [:]
        var characterParties: [UUID: Set<Int>] = [:]
        var merged = 0
        var seatIDs = Set<UUID>()
        each("session_participants") { record throws(ImportRefused) in
            guard let id = try record.uuidKey("id", table: "session_participants") else {
                throw refuse(record, "id manque")
            }
            try unique(id, in: &seatIDs, record)
            guard let sessionID = try record.uuidKey("session_id", table: "sessions"),
                let partieID = sessionPartie[sessionID]
            else { throw refuse(record, "session_id n'est aucune session de sessions.json") }
            let userID = try record.int("user_id")
            guard userIDs.contains(userID) else {
                throw refuse(record, "user_id \(userID) n'est aucun compte de users.json")
            }
            guard memberPairs.contains([partieID, userID]) else {
                throw refuse(record, "le compte \(userID) n'est pas membre de la partie \(partieID) de cette session")
            }
            let characterID = try record.uuidKey("character_id", table: "characters")
            if let characterID {
                guard let owner = characterOwner[characterID] else {
                    throw refuse(record, "character_id n'est aucun personnage importé de characters.json")
                }
                guard owner == userID else { throw refuse(record, "le personnage n'est pas au compte \(userID)") }
                characterParties[characterID, default: []].insert(partieID)
            }
            let rawRole = try record.optionalString("role") ?? (characterID == nil ? "master" : "player")
            guard let role = rawRole == "spectator" ? .observer : SeatRole(rawValue: rawRole) else {
                throw refuse(record, "rôle « \(rawRole.prefix(20)) » inconnu (master, player, observer, spectator)")
            }
            let joinedAt = try Self.firstDate(record, "joined_at", "created_at") ?? now
            let leftAt = try record.date("left_at")
            let minutes = try record.optionalInt("total_time_minutes")
            if let minutes, minutes < 0 { throw refuse(record, "total_time_minutes est négatif") }
            // The app adds a row at each join: here a person has one place per session.
            let pair = [sessionID.uuidString, String(userID)]
            if let index = seatIndex[pair] {
                merged += 1
                let seat = seats[index].row
                seat.joinedAt = min(seat.joinedAt, joinedAt)
                seat.leftAt = [seat.leftAt, leftAt].compactMap { $0 }.max()
                if let minutes { seat.totalTimeMinutes = (seat.totalTimeMinutes ?? 0) + minutes }
                return
            }
            seatIndex[pair] = seats.count
            let seat = SessionParticipant()
            seat.id = id
            seat.$session.id = sessionID
            seat.$user.id = userID
            seat.$character.id = characterID
            seat.role = role
            seat.joinedAt = joinedAt
            seat.leftAt = leftAt
            seat.totalTimeMinutes = minutes
            // Nobody is at an imported table: each comes back by joining, as after leaving.
            seat.isActive = false
            seats.append(Planned(row: seat, label: record.label))
        }
        if merged > 0 { notCarried.append("\(merged) participation(s) répétée(s) à une même session (fusionnées)") }
        // A character played in one partie's sessions is that partie's: its MJ sees it there.
        for character in characters {
            if let id = character.row.id, let played = characterParties[id], played.count == 1 {
                character.row.$partie.id = played.first
            }
        }
        // What the places' merged rows settle: the time played, the last change.
        for seat in seats.map(\.row) {
            seat.playedSeconds = Double(seat.totalTimeMinutes ?? 0) * 60
            seat.createdAt = seat.joinedAt
            seat.updatedAt = seat.leftAt ?? seat.joinedAt
        }
        guard problems.isEmpty else { throw ImportRefused(lines: problems) }
    }

    /// The app's statuses are this server's; « pending » (an older name) is « scheduled », and a
    /// session the app left « active » comes in paused: no one is playing it at import time.
    static func status(_ raw: String) -> SessionStatus? {
        switch raw {
        case "pending": .scheduled
        case "active": .paused
        default: SessionStatus(rawValue: raw)
        }
    }

    /// One of the app's `trigger_effects` entries (`{type, name, id, cardValue, cardSuit,
    /// description}`), or nil for a kind the sheet has no target for (profession, hobby, voie).
    static func effect(_ value: AppValue, _ record: AppRecord, _ capacities: [Int: String]) throws(ImportRefused)
        -> TriggeredEffect?
    {
        guard case .object(let fields) = value else {
            throw ImportRefused(lines: ["\(record.label) : un effet déclenché n'est pas un objet JSON"])
        }
        let entry = AppRecord(table: record.table, fields: fields)
        func refuse(_ what: String) -> ImportRefused {
            ImportRefused(lines: ["\(record.label) : effet déclenché \(what)"])
        }
        let target: EffectTarget
        switch try entry.optionalString("type") {
        case "stat": target = .characteristic(try entry.string("name"))
        case "skill": target = .skill(try entry.string("name"))
        case "capacity":
            if let id = try entry.optionalInt("id"), let name = capacities[id] {
                target = .capacity(name)
            } else {
                target = .capacity(try entry.string("name"))
            }
        case "profession", "hobby", "voie": return nil
        case let other: throw refuse("de type « \(other ?? "") » inconnu")
        }
        let value = try entry.string("cardValue")
        guard let rank = Rank(rawValue: value) else { throw refuse("sur la carte « \(value.prefix(10)) » inconnue") }
        let symbol = try entry.string("cardSuit")
        guard let suit = Suit.allCases.first(where: { $0.symbol == symbol }) else {
            throw refuse("sur la couleur « \(symbol.prefix(10)) » inconnue (♠ ♥ ♦ ♣)")
        }
        return TriggeredEffect(
            rank: rank, suit: suit, target: target, description: try entry.optionalString("description") ?? "")
    }

    static func firstDate(_ record: AppRecord, _ columns: String...) throws(ImportRefused) -> Date? {
        for column in columns {
            if let date = try record.date(column) { return date }
        }
        return nil
    }

    static func bounded(_ record: AppRecord, _ column: String, _ text: String, _ limit: Int) throws(ImportRefused)
        -> String
    {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count <= limit else {
            throw ImportRefused(lines: [record.problem(column, "dépasse \(limit) caractères")])
        }
        return trimmed
    }

    /// The French reason of a refusal the API would give for the same value.
    static func reason(_ error: any Error) -> String {
        (error as? AppError)?.reason ?? String(describing: error)
    }
}
