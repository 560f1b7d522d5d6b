import EtrangeDomain
import Fluent
import FluentPostgresDriver
import Foundation
import SQLKit
import Vapor

/// Loads an `AppImportPlan` keeping the app's ids, in one transaction: a row already there with
/// the same identity is skipped (so a second run writes nothing), one whose id is taken by
/// something else refuses the whole import. The identity is what the server never changes of a
/// row: an account's name and creation date (and, until its first login, its password), a
/// partie's scenario and QR code, a membership's or a place's pair, a character's owner, a
/// session's partie.
enum AppImport {
    /// Rows added and rows found already there, per table, for the summary.
    struct Counts: Sendable, Equatable {
        var added: [String: Int] = [:]
        var present: [String: Int] = [:]
    }

    /// The passwords' work, done before the transaction so that bcrypt never holds SQLite's
    /// writer: bcrypt of the digest for a new account; for one already imported and not yet
    /// logged into, whether its stored hash is of the same digest (else it is another account).
    struct Passwords: Sendable {
        var hashes: [Int: String] = [:]
        /// By account id: the stored hash checked, and whether it matched.
        var checked: [Int: (hash: String, matches: Bool)] = [:]
    }

    static func run(_ plan: AppImportPlan, on app: Application) async throws -> Counts {
        let passwords = try await prepare(plan, on: app)
        return try await app.db.transaction { db in
            try await write(plan, passwords, on: db)
        }
    }

    static func prepare(_ plan: AppImportPlan, on app: Application) async throws -> Passwords {
        let existing = try await users(plan.users.map(\.id), on: app.db)
        let hashing = app.passwordHashing
        // As many at once as there are hashing threads: a bigger batch would only queue.
        let width = max(1, app.config.limits.hashThreads)
        var passwords = Passwords()
        for batch in stride(from: 0, to: plan.users.count, by: width) {
            let rows = plan.users[batch..<min(batch + width, plan.users.count)]
            try await withThrowingTaskGroup(of: (Int, String?, (String, Bool)?).self) { group in
                for row in rows {
                    let stored = existing[row.id]
                    group.addTask {
                        guard let stored else { return (row.id, try await hashing.hash(row.digest, .bulk), nil) }
                        guard stored.legacySHA256 else { return (row.id, nil, nil) }
                        let matches = try await hashing.verify(row.digest, created: stored.passwordHash, .bulk)
                        return (row.id, nil, (stored.passwordHash, matches))
                    }
                }
                for try await (id, hash, checked) in group {
                    if let hash { passwords.hashes[id] = hash }
                    if let checked { passwords.checked[id] = (checked.0, checked.1) }
                }
            }
        }
        return passwords
    }

    static func write(_ plan: AppImportPlan, _ passwords: Passwords, on db: any Database) async throws -> Counts {
        // The first statement writes, so that SQLite's writer lock is taken at once rather than
        // after the reads below, where another writer would make the transaction fail.
        try await db.sql.update(User.schema).set("legacy_sha256", to: SQLColumn("legacy_sha256"))
            .where("id", .equal, SQLBind(-1)).run()
        var problems: [String] = []
        var counts = Counts()
        func count(_ table: String, added: Bool) {
            if added { counts.added[table, default: 0] += 1 } else { counts.present[table, default: 0] += 1 }
        }

        let users = try await users(plan.users.map(\.id), on: db)
        let lookalikes = try await lookalikes(of: plan.users, on: db)
        var newUsers: [User] = []
        for row in plan.users {
            let key = User.key(for: row.username)
            let skeleton = Username.skeleton(row.username)
            if let user = users[row.id] {
                if user.usernameKey != key {
                    problems.append("\(row.label) : l'id \(row.id) est déjà le compte « \(user.username) »")
                } else if let created = row.appCreatedAt, abs(user.createdAt.timeIntervalSince(created)) >= 1 {
                    problems.append(
                        "\(row.label) : l'id \(row.id) est déjà un compte « \(user.username) » créé ici, pas celui de l'application"
                    )
                } else if user.legacySHA256 {
                    guard let checked = passwords.checked[row.id], checked.hash == user.passwordHash else {
                        problems.append("\(row.label) : le compte a changé pendant l'import, relancez-le")
                        continue
                    }
                    if !checked.matches {
                        problems.append(
                            "\(row.label) : le compte « \(user.username) » existe avec un autre mot de passe")
                    }
                }
                count("users", added: false)
                continue
            }
            if let other = lookalikes.first(where: { $0.usernameKey == key || $0.usernameSkeleton == skeleton }) {
                problems.append(
                    "\(row.label) : « \(row.username) » est pris par le compte \(other.id ?? 0) « \(other.username) » ou lui ressemble trop"
                )
                continue
            }
            guard let hash = passwords.hashes[row.id] else {
                problems.append("\(row.label) : le compte a changé pendant l'import, relancez-le")
                continue
            }
            let user = User(
                username: row.username, passwordHash: hash, displayName: row.displayName, now: row.createdAt)
            user.id = row.id
            user.legacySHA256 = true
            newUsers.append(user)
            count("users", added: true)
        }

        let scenarios =
            plan.scenarios.isEmpty
            ? [] : try await Scenario.query(on: db).filter(\.$id ~~ plan.scenarios.map(\.id)).all()
        let scenarioByID = Dictionary(uniqueKeysWithValues: scenarios.compactMap { s in s.id.map { ($0, s) } })
        var newScenarios: [Scenario] = []
        for row in plan.scenarios {
            if let scenario = scenarioByID[row.id] {
                if scenario.title != row.title {
                    problems.append("\(row.label) : l'id \(row.id) est déjà le scénario « \(scenario.title) »")
                }
                count("scenarios", added: false)
                continue
            }
            let scenario = Scenario(title: row.title, description: row.description, creatorID: nil, now: row.createdAt)
            scenario.id = row.id
            newScenarios.append(scenario)
            count("scenarios", added: true)
        }

        let invites = plan.parties.compactMap(\.legacyInvite)
        let parties =
            plan.parties.isEmpty
            ? []
            : try await Partie.query(on: db).group(.or) {
                $0.filter(\.$id ~~ plan.parties.map(\.id))
                if !invites.isEmpty { $0.filter(\.$legacyInvite ~~ invites) }
            }.all()
        var newParties: [Partie] = []
        for row in plan.parties {
            if let partie = parties.first(where: { $0.id == row.id }) {
                if partie.$scenario.id != row.scenarioID || partie.legacyInvite != row.legacyInvite {
                    problems.append("\(row.label) : l'id \(row.id) est déjà la partie « \(partie.name) »")
                }
                count("parties", added: false)
                continue
            }
            if let other = parties.first(where: { row.legacyInvite != nil && $0.legacyInvite == row.legacyInvite }) {
                problems.append("\(row.label) : son qr_code est déjà celui de la partie \(other.id ?? 0)")
                continue
            }
            let partie = Partie(
                name: row.name, scenarioID: row.scenarioID, mjID: row.mjID, inviteCode: InviteCode.generate(),
                now: row.createdAt)
            partie.id = row.id
            partie.legacyInvite = row.legacyInvite
            partie.updatedAt = row.updatedAt
            newParties.append(partie)
            count("parties", added: true)
        }

        let members =
            plan.members.isEmpty
            ? []
            : try await PartieMember.query(on: db).group(.or) {
                $0.filter(\.$id ~~ plan.members.map(\.id)).filter(\.$partie.$id ~~ plan.parties.map(\.id))
            }.all()
        var newMembers: [PartieMember] = []
        for row in plan.members {
            let pair = members.first { $0.$partie.id == row.partieID && $0.$user.id == row.userID }
            if let taken = members.first(where: { $0.id == row.id }), taken !== pair {
                problems.append("\(row.label) : l'id de cette participation est déjà celui d'une autre")
            } else if pair != nil {
                count("participants", added: false)
            } else {
                let member = PartieMember(partieID: row.partieID, userID: row.userID, now: row.joinedAt)
                member.id = row.id
                newMembers.append(member)
                count("participants", added: true)
            }
        }

        let characters =
            plan.characters.isEmpty
            ? [] : try await Character.query(on: db).filter(\.$id ~~ plan.characters.map(\.id)).all()
        var newCharacters: [Character] = []
        for row in plan.characters {
            if let character = characters.first(where: { $0.id == row.id }) {
                if character.$user.id != row.userID {
                    problems.append("\(row.label) : l'id est déjà celui d'un personnage d'un autre compte")
                }
                count("characters", added: false)
                continue
            }
            let character = Character(
                name: row.name, userID: row.userID, partieID: row.partieID, figure: row.suit, now: row.createdAt)
            character.id = row.id
            character.sheetJSON = Character.encode(row.sheet)
            if !row.deckRows.isEmpty { character.deckRowsJSON = Character.encode(row.deckRows) }
            newCharacters.append(character)
            count("characters", added: true)
        }

        let sessions =
            plan.sessions.isEmpty ? [] : try await Session.query(on: db).filter(\.$id ~~ plan.sessions.map(\.id)).all()
        var newSessions: [Session] = []
        for row in plan.sessions {
            if let session = sessions.first(where: { $0.id == row.id }) {
                if session.$partie.id != row.partieID {
                    problems.append("\(row.label) : l'id est déjà celui d'une session d'une autre partie")
                }
                count("sessions", added: false)
                continue
            }
            newSessions.append(session(row))
            count("sessions", added: true)
        }
        // One running session per partie: one already running here makes an imported one wait.
        let running =
            newSessions.isEmpty
            ? []
            : try await Session.query(on: db).filter(\.$partie.$id ~~ newSessions.map(\.$partie.id))
                .filter(\.$status ~~ [.active, .paused]).all()
        for session in newSessions where session.status.isRunning {
            if let other = running.first(where: { $0.$partie.id == session.$partie.id }) {
                let label = plan.sessions.first { $0.id == session.id }?.label ?? "sessions"
                problems.append("\(label) : la partie a déjà une session en cours ici (« \(other.name) »)")
            }
        }

        let seats =
            plan.seats.isEmpty
            ? []
            : try await SessionParticipant.query(on: db).group(.or) {
                $0.filter(\.$id ~~ plan.seats.map(\.id)).filter(\.$session.$id ~~ plan.sessions.map(\.id))
            }.all()
        var newSeats: [SessionParticipant] = []
        for row in plan.seats {
            let pair = seats.first { $0.$session.id == row.sessionID && $0.$user.id == row.userID }
            if let taken = seats.first(where: { $0.id == row.id }), taken !== pair {
                problems.append("\(row.label) : l'id est déjà celui d'une autre participation")
            } else if pair != nil {
                count("session_participants", added: false)
            } else {
                newSeats.append(seat(row))
                count("session_participants", added: true)
            }
        }

        guard problems.isEmpty else { throw ImportRefused(lines: problems) }
        for user in newUsers { try await user.create(on: db) }
        for scenario in newScenarios { try await scenario.create(on: db) }
        for partie in newParties { try await partie.create(on: db) }
        for member in newMembers { try await member.create(on: db) }
        for character in newCharacters { try await character.create(on: db) }
        for session in newSessions { try await session.create(on: db) }
        for seat in newSeats { try await seat.create(on: db) }
        if db is any PostgresDatabase {
            // Ids given explicitly do not move PostgreSQL's sequences: the next account, scenario
            // or partie made here would take an imported id. SQLite's AUTOINCREMENT follows by itself.
            for table in [User.schema, Scenario.schema, Partie.schema] {
                try await db.sql.raw(
                    """
                    SELECT setval(pg_get_serial_sequence(\(bind: table), 'id'), \
                    (SELECT COALESCE(MAX(id), 1) FROM \(ident: table)))
                    """
                ).run()
            }
        }
        return counts
    }

    private static func session(_ row: AppImportPlan.SessionRow) -> Session {
        let session = Session(
            partieID: row.partieID, name: row.name, description: row.description, scheduledDate: row.scheduledDate,
            maxPlayers: row.maxPlayers, allowLateJoin: row.allowLateJoin, now: row.createdAt)
        session.id = row.id
        session.status = row.status
        session.startedAt = row.startedAt
        session.endedAt = row.endedAt
        session.durationMinutes = row.durationMinutes
        // The time played the app measured; none is running, no one being at the table.
        session.activeSeconds = Double(row.durationMinutes ?? 0) * 60
        session.summary = row.summary
        session.notes = row.notes
        session.updatedAt = row.updatedAt
        return session
    }

    private static func seat(_ row: AppImportPlan.SeatRow) -> SessionParticipant {
        let seat = SessionParticipant()
        seat.id = row.id
        seat.$session.id = row.sessionID
        seat.$user.id = row.userID
        seat.$character.id = row.characterID
        seat.role = row.role
        seat.joinedAt = row.joinedAt
        seat.leftAt = row.leftAt
        seat.totalTimeMinutes = row.totalTimeMinutes
        seat.playedSeconds = Double(row.totalTimeMinutes ?? 0) * 60
        seat.createdAt = row.joinedAt
        seat.updatedAt = row.leftAt ?? row.joinedAt
        // Nobody is at an imported table: each comes back by joining, as after leaving.
        seat.isActive = false
        return seat
    }

    private static func users(_ ids: [Int], on db: any Database) async throws -> [Int: User] {
        var found: [Int: User] = [:]
        for chunk in stride(from: 0, to: ids.count, by: 500) {
            for user in try await User.query(on: db).filter(\.$id ~~ ids[chunk..<min(chunk + 500, ids.count)]).all() {
                if let id = user.id { found[id] = user }
            }
        }
        return found
    }

    /// Accounts of other ids whose name is, or looks like, one an imported account has.
    private static func lookalikes(of rows: [AppImportPlan.UserRow], on db: any Database) async throws -> [User] {
        var found: [User] = []
        for chunk in stride(from: 0, to: rows.count, by: 500) {
            let slice = rows[chunk..<min(chunk + 500, rows.count)]
            found += try await User.query(on: db).group(.or) {
                $0.filter(\.$usernameKey ~~ slice.map { User.key(for: $0.username) })
                    .filter(\.$usernameSkeleton ~~ slice.map { Username.skeleton($0.username) })
            }.filter(\.$id !~ slice.map(\.id)).all()
        }
        return found
    }
}
