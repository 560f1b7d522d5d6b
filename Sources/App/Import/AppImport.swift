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
            ? [] : try await Scenario.query(on: db).filter(\.$id ~~ plan.scenarios.compactMap(\.row.id)).all()
        var newScenarios: [Scenario] = []
        for planned in plan.scenarios {
            let row = planned.row
            if let scenario = scenarios.first(where: { $0.id == row.id }) {
                if scenario.title != row.title {
                    problems.append("\(planned.label) : l'id est déjà le scénario « \(scenario.title) »")
                }
                count("scenarios", added: false)
            } else {
                newScenarios.append(row)
                count("scenarios", added: true)
            }
        }

        let invites = plan.parties.compactMap(\.row.legacyInvite)
        let parties =
            plan.parties.isEmpty
            ? []
            : try await Partie.query(on: db).group(.or) {
                $0.filter(\.$id ~~ plan.parties.compactMap(\.row.id))
                if !invites.isEmpty { $0.filter(\.$legacyInvite ~~ invites) }
            }.all()
        var newParties: [Partie] = []
        for planned in plan.parties {
            let row = planned.row
            if let partie = parties.first(where: { $0.id == row.id }) {
                if partie.$scenario.id != row.$scenario.id || partie.legacyInvite != row.legacyInvite {
                    problems.append("\(planned.label) : l'id est déjà la partie « \(partie.name) »")
                }
                count("parties", added: false)
            } else if let other = parties.first(where: {
                row.legacyInvite != nil && $0.legacyInvite == row.legacyInvite
            }) {
                problems.append("\(planned.label) : son qr_code est déjà celui de la partie \(other.id ?? 0)")
            } else {
                newParties.append(row)
                count("parties", added: true)
            }
        }

        let members =
            plan.members.isEmpty
            ? []
            : try await PartieMember.query(on: db).group(.or) {
                $0.filter(\.$id ~~ plan.members.compactMap(\.row.id))
                    .filter(\.$partie.$id ~~ plan.parties.compactMap(\.row.id))
            }.all()
        var newMembers: [PartieMember] = []
        for planned in plan.members {
            let row = planned.row
            let pair = members.first { $0.$partie.id == row.$partie.id && $0.$user.id == row.$user.id }
            if let taken = members.first(where: { $0.id == row.id }), taken !== pair {
                problems.append("\(planned.label) : l'id de cette participation est déjà celui d'une autre")
            } else if pair != nil {
                count("participants", added: false)
            } else {
                newMembers.append(row)
                count("participants", added: true)
            }
        }

        let characters =
            plan.characters.isEmpty
            ? [] : try await Character.query(on: db).filter(\.$id ~~ plan.characters.compactMap(\.row.id)).all()
        var newCharacters: [Character] = []
        for planned in plan.characters {
            let row = planned.row
            if let character = characters.first(where: { $0.id == row.id }) {
                if character.$user.id != row.$user.id {
                    problems.append("\(planned.label) : l'id est déjà celui d'un personnage d'un autre compte")
                }
                count("characters", added: false)
            } else {
                newCharacters.append(row)
                count("characters", added: true)
            }
        }

        let sessions =
            plan.sessions.isEmpty
            ? [] : try await Session.query(on: db).filter(\.$id ~~ plan.sessions.compactMap(\.row.id)).all()
        var newSessions: [AppImportPlan.Planned<Session>] = []
        for planned in plan.sessions {
            if let session = sessions.first(where: { $0.id == planned.row.id }) {
                if session.$partie.id != planned.row.$partie.id {
                    problems.append("\(planned.label) : l'id est déjà celui d'une session d'une autre partie")
                }
                count("sessions", added: false)
            } else {
                newSessions.append(planned)
                count("sessions", added: true)
            }
        }
        // One running session per partie: one already running here makes an imported one wait.
        let running =
            newSessions.isEmpty
            ? []
            : try await Session.query(on: db).filter(\.$partie.$id ~~ newSessions.map(\.row.$partie.id))
                .filter(\.$status ~~ [.active, .paused]).all()
        for planned in newSessions where planned.row.status.isRunning {
            if let other = running.first(where: { $0.$partie.id == planned.row.$partie.id }) {
                problems.append("\(planned.label) : la partie a déjà une session en cours ici (« \(other.name) »)")
            }
        }

        let seats =
            plan.seats.isEmpty
            ? []
            : try await SessionParticipant.query(on: db).group(.or) {
                $0.filter(\.$id ~~ plan.seats.compactMap(\.row.id))
                    .filter(\.$session.$id ~~ plan.sessions.compactMap(\.row.id))
            }.all()
        var newSeats: [SessionParticipant] = []
        for planned in plan.seats {
            let row = planned.row
            let pair = seats.first { $0.$session.id == row.$session.id && $0.$user.id == row.$user.id }
            if let taken = seats.first(where: { $0.id == row.id }), taken !== pair {
                problems.append("\(planned.label) : l'id est déjà celui d'une autre participation")
            } else if pair != nil {
                count("session_participants", added: false)
            } else {
                newSeats.append(row)
                count("session_participants", added: true)
            }
        }

        guard problems.isEmpty else { throw ImportRefused(lines: problems) }
        for user in newUsers { try await user.create(on: db) }
        for scenario in newScenarios { try await scenario.create(on: db) }
        for partie in newParties { try await partie.create(on: db) }
        for member in newMembers { try await member.create(on: db) }
        for character in newCharacters { try await character.create(on: db) }
        for session in newSessions { try await session.row.create(on: db) }
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
