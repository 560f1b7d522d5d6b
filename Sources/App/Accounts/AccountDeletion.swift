import Fluent
import FluentPostgresDriver
import SQLKit
import Vapor

/// `DELETE /api/me`: the account closes for good. What its owner wrote in shared games (chat
/// lines, draws, events, answers) stays for the others under an anonymous tombstone of the user
/// row, « Ancien·ne joueur·se n »: the row keeps every reference valid, and every reader that
/// shows `display_name ?? username` shows the tombstone's name with no change of its own.
enum AccountDeletion {
    /// The name others see in place of a deleted account's.
    static func formerName(_ number: Int) -> String { "Ancien·ne joueur·se \(number)" }

    /// A username, key and skeleton no one can register (« # » is refused in usernames): the old
    /// name is free at once, and the tombstone cannot clash with anyone.
    static func formerUsername(_ number: Int) -> String { "#ancien-\(number)" }

    /// Serialises the numbering on PostgreSQL, as SQLite's single writer does by itself; the
    /// unique index on `former_number` is the guarantee behind it.
    private static let numberingLock = 27_017

    private struct StillRunsParties: Error {
        let parties: [RunPartie]
    }

    private struct Outcome {
        let tokens: [UUID]
        let left: [(partie: Int, sessions: [UUID])]
    }

    static func delete(req: Request) async throws -> Response {
        let caller = try req.caller
        let body = try req.json(DeleteAccountRequest.self)
        let limits = req.application.config.limits
        // Guessing the password this way is slowed exactly as logging in is.
        try req.limit(
            "login:ip:\(req.clientAddress)", limits.loginPerAddress, reason: "Trop de tentatives de connexion.")
        try await req.limitFailures(
            AccountsController.failureKey(caller.user.usernameKey, on: req), limits.loginPerAccount,
            reason: "Trop de tentatives."
        ) {
            let matches = try await req.application.passwordHashing.verify(
                String(body.password.prefix(200)), created: caller.user.passwordHash, .interactive)
            guard matches else {
                throw AppError.forbidden("Mot de passe incorrect : le compte n'a pas été supprimé.")
            }
        }
        let userID = caller.userID
        let now = req.now
        let outcome: Outcome
        do {
            outcome = try await req.db.transaction { db in try await close(userID, at: now, on: db) }
        } catch let running as StillRunsParties {
            let names = running.parties.map { "« \($0.name) »" }.joined(separator: ", ")
            return try await PartiesStillRunResponse(
                reason:
                    "Vous êtes MJ de \(names) : confiez chaque partie à un autre membre ou supprimez-la avant de supprimer votre compte.",
                parties: running.parties
            ).encodeResponse(status: .conflict, for: req)
        }
        for tokenID in outcome.tokens { try await AccountsController.revokeLive(tokenID, on: req) }
        for (partieID, sessions) in outcome.left {
            for sessionID in sessions { await req.announce(sessionID) }
            await req.application.live.announceRemoval(of: userID, from: partieID)
        }
        return Response(status: .noContent)
    }

    /// Everything in one transaction: memberships end as leaving ends them, characters become
    /// tombstones, tokens, calendar feeds and reset links go, and the row is anonymised.
    private static func close(_ userID: Int, at now: Date, on db: any Database) async throws -> Outcome {
        // A write first, which holds the row: a second deletion at once waits, then finds it gone.
        let held = try await db.sql.update(User.schema).set("updated_at", to: now)
            .where("id", .equal, userID).where("deleted_at", .is, SQLLiteral.null)
            .returning("id").all()
        guard !held.isEmpty else { throw AppError.unauthorized("Jeton invalide ou révoqué.") }
        let run = try await Partie.query(on: db).filter(\.$mj.$id == userID).sort(\.$id).all()
        if !run.isEmpty {
            throw StillRunsParties(parties: try run.map { RunPartie(id: try $0.requireID(), name: $0.name) })
        }
        let memberships = try await PartieMember.query(on: db).filter(\.$user.$id == userID).sort(\.$id)
            .all(\.$partie.$id)
        var left: [(partie: Int, sessions: [UUID])] = []
        for partieID in memberships {
            left.append(
                (partieID, try await PartiesController.endMembership(of: userID, in: partieID, at: now, on: db)))
        }
        let characters = try await Character.query(on: db)
            .filter(\.$user.$id == userID).filter(\.$deletedAt == nil).all(\.$id)
        for characterID in characters {
            try await CharactersController.tombstone(characterID, ownedBy: userID, at: now, on: db)
        }
        try await SessionWaiter.query(on: db).filter(\.$user.$id == userID).delete()
        // They will not come: their answers for the sessions still to come would count them in.
        // Those of sessions over are history, and stay.
        let coming = try await Session.query(on: db).filter(\.$status == .scheduled)
            .join(SessionRSVP.self, on: \Session.$id == \SessionRSVP.$session.$id)
            .filter(SessionRSVP.self, \.$user.$id == userID).all(\.$id)
        if !coming.isEmpty {
            try await SessionRSVP.query(on: db).filter(\.$user.$id == userID).filter(\.$session.$id ~~ coming).delete()
        }
        try await CalendarFeed.query(on: db).filter(\.$user.$id == userID).delete()
        try await db.sql.delete(from: PasswordResets.schema).where("user_id", .equal, userID).run()
        let tokens = try await UserToken.query(on: db).filter(\.$user.$id == userID).all(\.$id)
        try await UserToken.query(on: db).filter(\.$user.$id == userID).delete()

        if db is any PostgresDatabase {
            try await db.sql.raw("SELECT pg_advisory_xact_lock(\(bind: numberingLock))").run()
        }
        struct Numbered: Decodable { let formerNumber: Int }
        guard
            let numbered = try await db.sql.update(User.schema)
                .set(
                    "former_number",
                    to: SQLGroupExpression(SQLRaw("SELECT COALESCE(MAX(former_number), 0) + 1 FROM \(User.schema)"))
                )
                .set("deleted_at", to: now)
                .where("id", .equal, userID)
                .returning("former_number").first(decoding: Numbered.self, keyDecodingStrategy: .convertFromSnakeCase)
        else { throw AppError.unauthorized("Jeton invalide ou révoqué.") }
        let number = numbered.formerNumber
        let username = formerUsername(number)
        try await db.sql.update(User.schema)
            .set("username", to: username).set("username_key", to: username).set("username_skeleton", to: username)
            .set("display_name", to: formerName(number))
            // No password hashes to this: no one signs in as the tombstone.
            .set("password_hash", to: "")
            .where("id", .equal, userID)
            .run()
        return Outcome(tokens: tokens, left: left)
    }
}
