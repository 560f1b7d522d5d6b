import EtrangeDomain
import Fluent
import SQLKit
import Vapor

/// A player deletes a character of theirs: `DELETE /api/characters/{id}`.
extension CharactersController {
    func delete(req: Request) async throws -> HTTPStatus {
        let caller = try req.caller
        let id = try req.uuidParameter()
        // The MJ may change it but not delete it: it is the player's.
        guard try await Self.visible(id, to: caller, on: req.db).$user.id == caller.userID else {
            throw AppError.forbidden("Seul le joueur du personnage peut le supprimer.")
        }
        let now = req.now
        try await req.db.transaction { db in
            try await Self.tombstone(id, ownedBy: caller.userID, at: now, on: db)
        }
        return .noContent
    }

    /// Makes the character a tombstone inside the caller's transaction. The row stays, so that the
    /// draws, seats and presences that name it keep a valid reference and read `deletedName` with
    /// no change to any of their readers; what the player wrote in it (name, sheet, deck) goes.
    /// A character still seated in a session not over is refused: leaving that session is what
    /// settles time played and tells the table, and a deletion should not cut an evening short.
    static func tombstone(_ id: UUID, ownedBy userID: Int, at now: Date, on db: any Database) async throws {
        // A write first, which locks the row: a seat being taken with this character
        // (`Participation.seat`) either committed before and is seen below, or waits and is refused.
        let marked = try await db.sql.update(Character.schema)
            .set("deleted_at", to: now).set("name", to: Character.deletedName)
            .set("partie_id", to: SQLLiteral.null).set("figure", to: SQLLiteral.null)
            .set("sheet", to: Character.encode(CharacterSheet.appDefaults))
            .set("deck_rows", to: Character.encode([DeckRow.newCharacter(.spades)]))
            .set("joker", to: false)
            .where("id", .equal, id).where("user_id", .equal, userID).where("deleted_at", .is, SQLLiteral.null)
            .returning("id").all()
        guard !marked.isEmpty else { throw AppError.notFound("Personnage introuvable.") }
        let seatedIn = try await SessionParticipant.query(on: db)
            .join(Session.self, on: \SessionParticipant.$session.$id == \Session.$id)
            .filter(\.$character.$id == id).filter(\.$isActive == true)
            .filter(Session.self, \.$status !~ [.completed, .cancelled])
            .all()
            .map { try $0.joined(Session.self).name }
        if let session = seatedIn.first {
            throw AppError.conflict(
                "Ce personnage est encore assis dans la session « \(session) » : quittez-la avant de le supprimer.")
        }
        try await SessionWaiter.query(on: db).filter(\.$character.$id == id).delete()
    }
}
