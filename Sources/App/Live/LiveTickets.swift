import Fluent
import SQLKit
import Vapor

/// `POST /api/sessions/{id}/live-ticket` answers this: a ticket for `?ticket=` on the live URL.
struct LiveTicketResponse: Content {
    let ticket: String
    let expiresAt: Date
}

/// Tickets for the live channel. A URL's query ends up in proxies' logs: a bearer token there
/// opens the account for a month, a ticket opens one socket to one session, once, within seconds.
/// Spent by a conditional `DELETE … RETURNING`, which one instance alone wins however many
/// present the same ticket at once.
enum LiveTickets {
    static let schema = "live_tickets"
    static let lifetime: TimeInterval = 30

    static func issue(to caller: Caller, for sessionID: UUID, at now: Date, on db: any Database) async throws
        -> LiveTicketResponse
    {
        let (value, digest) = UserToken.generate()
        let expiresAt = now.addingTimeInterval(lifetime)
        let sql = db.sql
        // Spent or not, an expired ticket is worth nothing: each issue clears them away.
        try await sql.delete(from: schema).where("expires_at", .lessThanOrEqual, now).run()
        try await sql.insert(into: schema)
            .columns("digest", "session_id", "token_id", "expires_at")
            .values(SQLBind(digest), SQLBind(sessionID), SQLBind(caller.tokenID), SQLBind(expiresAt))
            .run()
        return LiveTicketResponse(ticket: value, expiresAt: expiresAt)
    }

    /// Spends `value` on `sessionID` and gives the caller it was issued to, whose token must still
    /// be valid. A ticket for another session is left alone: it is not this one's to spend.
    static func redeem(_ value: String, for sessionID: UUID, at now: Date, on db: any Database) async throws -> Caller {
        guard value.utf8.count <= 128 else {
            throw AppError.unauthorized("Ticket invalide ou déjà utilisé : demandez-en un autre.")
        }
        let spent = try await db.sql.delete(from: schema)
            .where("digest", .equal, UserToken.digest(value))
            .where("session_id", .equal, sessionID)
            .returning("token_id", "expires_at")
            .first()
        guard let spent else {
            throw AppError.unauthorized("Ticket invalide ou déjà utilisé : demandez-en un autre.")
        }
        guard try spent.decode(column: "expires_at", as: Date.self) > now else {
            throw AppError.unauthorized("Ticket expiré : demandez-en un autre.")
        }
        let tokenID = try spent.decode(column: "token_id", as: UUID.self)
        guard
            let token = try await UserToken.query(on: db)
                .filter(\.$id == tokenID)
                .join(User.self, on: \UserToken.$user.$id == \User.$id)
                .first(),
            let user = try? token.joined(User.self), let userID = user.id, token.expiresAt > now
        else {
            throw AppError.unauthorized("Jeton invalide ou révoqué.")
        }
        return Caller(user: user, userID: userID, tokenID: tokenID)
    }
}
