import EtrangeDomain
import Fluent
import SQLKit
import Vapor

struct TransferPartieRequest: Content {
    var userId: Int
}

/// What `partie.transferred` tells the sessions' channels.
struct PartieTransferredEventData: Content {
    let partieId: Int
    let mjId: Int
    let mjName: String
    let previousMjId: Int
}

/// The MJ hands the partie to another member: `POST /api/parties/{id}/transfer`.
extension PartiesController {
    func transfer(req: Request) async throws -> PartieResponse {
        let caller = try req.caller
        let visible = try await Partie.managed(req.intParameter(), by: caller, on: req.db)
        let body = try req.json(TransferPartieRequest.self)
        guard body.userId != caller.userID else {
            throw AppError.invalid(field: "user_id", reason: "vous êtes déjà le MJ de cette partie.")
        }
        let partieID = visible.id
        let now = req.now
        let open = try await req.db.transaction { db -> [UUID] in
            // The partie's row first, conditional on the caller still being its MJ: of two
            // transfers (or a transfer and a deletion) at once, the second finds no row.
            let held = try await db.sql.update(Partie.schema)
                .set("updated_at", to: now)
                .where("id", .equal, partieID).where("mj_id", .equal, caller.userID)
                .returning("id").all()
            guard !held.isEmpty else { throw AppError.forbidden("Seul le MJ de la partie peut la confier.") }
            // The new MJ's membership row is locked, so that they cannot leave halfway.
            let member = try await db.sql.update(PartieMember.schema)
                .set("joined_at", to: SQLIdentifier("joined_at"))
                .where("partie_id", .equal, partieID).where("user_id", .equal, body.userId)
                .returning("id").all()
            guard !member.isEmpty else {
                throw AppError.invalid(field: "user_id", reason: "cette personne n'est pas membre de la partie.")
            }
            let sessions = try await Session.query(on: db)
                .filter(\.$partie.$id == partieID).filter(\.$status !~ [.completed, .cancelled])
                .sort(\.$id).all()
            // A running session's seats carry the MJ's role: the hand-over waits for the end of the evening.
            if let running = sessions.first(where: { $0.status.isRunning }) {
                throw AppError.conflict(
                    "La session « \(running.name) » est en cours : terminez-la avant de confier la partie.")
            }
            try await db.sql.update(Partie.schema).set("mj_id", to: body.userId)
                .where("id", .equal, partieID).run()
            guard let newMJ = try await User.find(body.userId, on: db) else {
                throw AppError.invalid(field: "user_id", reason: "cette personne n'est pas membre de la partie.")
            }
            let data = PartieTransferredEventData(
                partieId: partieID, mjId: body.userId, mjName: newMJ.shownName, previousMjId: caller.userID)
            var told: [UUID] = []
            for session in sessions {
                let sessionID = try session.requireID()
                guard try await Participation.lockSession(sessionID, on: db) != nil else { continue }
                try await LiveEvents.record(.partieTransferred, in: sessionID, data: data, at: now, on: db)
                told.append(sessionID)
            }
            return told
        }
        for sessionID in open { await req.announce(sessionID) }
        guard let partie = try await Partie.find(partieID, on: req.db) else {
            throw AppError.notFound("Partie introuvable.")
        }
        return try await Self.responses(for: [partie], caller: caller, req: req)[0]
    }
}
