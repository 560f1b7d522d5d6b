import Fluent
import SQLKit
import Vapor

/// A player leaves a partie, or its MJ removes a member: `DELETE /api/parties/{id}/members/me`
/// and `DELETE /api/parties/{id}/members/{user_id}`.
extension PartiesController {
    func leave(req: Request) async throws -> HTTPStatus {
        let caller = try req.caller
        let visible = try await Partie.visible(req.intParameter(), to: caller, on: req.db)
        try await Self.removeMember(caller.userID, from: visible, req: req)
        return .noContent
    }

    func removeMember(req: Request) async throws -> HTTPStatus {
        let caller = try req.caller
        let visible = try await Partie.visible(req.intParameter(), to: caller, on: req.db)
        guard let userID = req.parameters.get("user_id").flatMap(Int.init) else {
            throw AppError.notFound("Ce membre n'est pas dans la partie.")
        }
        // Naming oneself is leaving, which any member may do; naming someone else is the MJ's.
        guard visible.isMJ || userID == caller.userID else {
            throw AppError.forbidden("Seul le MJ de la partie peut en retirer un membre.")
        }
        try await Self.removeMember(userID, from: visible, req: req)
        return .noContent
    }

    /// In one transaction: the membership goes, and the seat the person held in each session not
    /// yet over ends as leaving that session ends it (offline, time played settled and kept, a
    /// `participant.left` event). Their characters stay theirs but leave the partie, so that its
    /// MJ may no longer see or change them. What they wrote and drew stays, and so do their
    /// answers to polls: it is the partie's history. Then their live sockets close, on every instance.
    static func removeMember(_ userID: Int, from visible: VisiblePartie, req: Request) async throws {
        let partieID = visible.id
        let now = req.now
        let left = try await req.db.transaction { db in
            try await endMembership(of: userID, in: partieID, at: now, on: db)
        }
        for sessionID in left { await req.announce(sessionID) }
        await req.application.live.announceRemoval(of: userID, from: partieID)
    }

    /// The removal itself, inside the caller's transaction; the sessions whose seat it ended,
    /// to announce once it has committed.
    static func endMembership(of userID: Int, in partieID: Int, at now: Date, on db: any Database) async throws
        -> [UUID]
    {
        // The first statement is a write (SQLite's writer lock at once), and it decides: of a
        // player leaving while the MJ removes them, the second finds no row and gets the 404.
        let removed = try await db.sql.delete(from: PartieMember.schema)
            .where("partie_id", .equal, partieID).where("user_id", .equal, userID)
            .returning("id")
            .all()
        guard !removed.isEmpty else { throw AppError.notFound("Ce membre n'est pas dans la partie.") }
        // Read after that write, so that a transfer to this person that committed meanwhile is
        // seen: the MJ never leaves their own partie, and the removal rolls back.
        guard try await Partie.query(on: db).filter(\.$id == partieID).filter(\.$mj.$id == userID).count() == 0 else {
            throw AppError.conflict(
                "Le MJ ne peut pas quitter sa propre partie : confiez-la à un autre membre ou supprimez-la.")
        }
        // Each session still open is locked, in one order, before its seats are read: a join
        // that got the lock first is seen here, one that waits finds no membership (`seat`).
        let open = try await Session.query(on: db)
            .filter(\.$partie.$id == partieID).filter(\.$status !~ [.completed, .cancelled])
            .sort(\.$id).all(\.$id)
        var left: [UUID] = []
        for sessionID in open {
            guard let session = try await Participation.lockSession(sessionID, on: db), !session.status.isFinal,
                try await Participation.seat(of: userID, in: sessionID, on: db) != nil
            else { continue }
            _ = try await Participation.leave(userID: userID, from: sessionID, at: now, on: db)
            left.append(sessionID)
        }
        try await db.sql.update(Character.schema)
            .set("partie_id", to: SQLLiteral.null)
            .where("partie_id", .equal, partieID).where("user_id", .equal, userID)
            .run()
        return left
    }
}
