import Fluent
import SQLKit
import Vapor

struct DeletePartieRequest: Content {
    /// The partie's name, typed again: a deletion takes every session with it.
    var confirmName: String?
}

/// The MJ deletes a partie: `DELETE /api/parties/{id}`.
extension PartiesController {
    func delete(req: Request) async throws -> HTTPStatus {
        let caller = try req.caller
        let visible = try await Partie.managed(req.intParameter(), by: caller, on: req.db)
        let body = try req.json(DeletePartieRequest.self)
        guard body.confirmName?.trimmingCharacters(in: .whitespacesAndNewlines) == visible.partie.name else {
            throw AppError.invalid(
                field: "confirm_name",
                reason: "tapez exactement le nom de la partie, « \(visible.partie.name) », pour la supprimer.")
        }
        try await Self.deletePartie(visible.id, by: caller.userID, req: req)
        return .noContent
    }

    /// In one transaction the partie row goes, and the foreign keys take with it everything that
    /// was only the partie's: its sessions (with their seats, presences, draws, chat, events,
    /// RSVPs, waiting lists, reminders), members, polls, handouts and webhooks with their
    /// deliveries. Characters stay their players', out of any partie. Once it has committed, the
    /// sessions' live sockets close on every instance and handout files leave the disk.
    static func deletePartie(_ partieID: Int, by mjID: Int, req: Request) async throws {
        let (sessions, handouts) = try await req.db.transaction { db -> ([UUID], [UUID]) in
            // A write first, conditional on the caller still being the MJ: a transfer that
            // committed meanwhile makes this a 403, and the two cannot interleave.
            let held = try await db.sql.update(Partie.schema)
                .set("updated_at", to: SQLIdentifier("updated_at"))
                .where("id", .equal, partieID).where("mj_id", .equal, mjID)
                .returning("id").all()
            guard !held.isEmpty else { throw AppError.forbidden("Seul le MJ de la partie peut la supprimer.") }
            // Its sessions' rows next, before the foreign keys reach the characters: a draw holds
            // its session's row and then spends from its character, so taking the characters
            // first (the cascade sets their partie to null) and the sessions after deadlocked.
            let sessions = try await db.sql.update(Session.schema)
                .set("updated_at", to: SQLIdentifier("updated_at"))
                .where("partie_id", .equal, partieID)
                .returning("id").all(decodingColumn: "id", as: UUID.self)
            let handouts = try await Handout.query(on: db).filter(\.$partie.$id == partieID).all(\.$id)
            try await db.sql.delete(from: Partie.schema).where("id", .equal, partieID).run()
            return (sessions, handouts)
        }
        for sessionID in sessions { await req.application.live.announceDeletion(of: sessionID) }
        for handoutID in handouts { req.application.handoutStorage.discard(handoutID, logger: req.logger) }
    }
}
