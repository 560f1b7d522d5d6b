import Fluent
import SQLKit
import Vapor

/// Password recovery without e-mail: the host runs `etrange reset-password USERNAME` and hands
/// the link over. A link opens the account once, within the hour; only its digest is stored.
enum PasswordResets {
    static let schema = "password_resets"
    static let lifetime: TimeInterval = 60 * 60
    /// The one answer for a link used, expired or never issued: which one it is tells nothing to
    /// whoever tries secrets.
    static let refusal = AppError.invalid(
        field: "secret", reason: "lien invalide, expiré ou déjà utilisé : demandez-en un nouveau.")

    /// A new link for `userID`; the user's older unused links stop working.
    static func issue(to userID: Int, at now: Date, on db: any Database) async throws -> (
        secret: String, expiresAt: Date
    ) {
        let (secret, digest) = UserToken.generate()
        let expiresAt = now.addingTimeInterval(lifetime)
        try await db.transaction { db in
            let sql = db.sql
            try await sql.delete(from: schema)
                .where("user_id", .equal, userID)
                .where("used_at", .is, SQLLiteral.null)
                .run()
            try await sql.insert(into: schema)
                .columns("id", "user_id", "secret_hash", "created_at", "expires_at")
                .values(SQLBind(UUID()), SQLBind(userID), SQLBind(digest), SQLBind(now), SQLBind(expiresAt))
                .run()
        }
        return (secret, expiresAt)
    }

    /// Spends `secret` and gives the account it was issued for. One conditional write, so that
    /// of two requests presenting the same link at once only one gets the account.
    static func claim(_ secret: String, at now: Date, on db: any Database) async throws -> Int {
        guard secret.utf8.count <= 128 else { throw refusal }
        let claimed = try await db.sql.update(schema)
            .set("used_at", to: SQLBind(now))
            .where("secret_hash", .equal, UserToken.digest(secret))
            .where("used_at", .is, SQLLiteral.null)
            .where("expires_at", .greaterThan, SQLBind(now))
            .returning("user_id")
            .first()
        guard let claimed else { throw refusal }
        return try claimed.decode(column: "user_id", as: Int.self)
    }
}

struct ResetPasswordRequest: Content {
    var secret: String
    var password: String
}

struct PasswordResetController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.grouped("api", "auth").post("reset", use: reset)
    }

    /// Sets the password a link was issued for and revokes every token of the account, on every
    /// device: whoever held the old password is out.
    func reset(req: Request) async throws -> HTTPStatus {
        let body = try req.json(ResetPasswordRequest.self)
        let password = try AccountsController.validPassword(body.password)
        // Each attempt costs a hash: counted whether the link is good or not.
        try req.limit(
            "reset:ip:\(req.clientAddress)", req.application.config.limits.loginPerAddress,
            reason: "Trop de tentatives de réinitialisation.")
        // Hashing takes long: done before the transaction, which holds the writer.
        let hash = try await req.application.passwordHashing.hash(password, .interactive)
        let now = req.now
        let revoked = try await req.db.transaction { db -> [UUID] in
            let userID = try await PasswordResets.claim(body.secret, at: now, on: db)
            try await User.newPasswordHash(hash, for: userID, at: now, on: db).run()
            let tokens = try await UserToken.query(on: db).filter(\.$user.$id == userID).all()
            try await UserToken.query(on: db).filter(\.$user.$id == userID).delete()
            return tokens.compactMap(\.id)
        }
        for tokenID in revoked { try await AccountsController.revokeLive(tokenID, on: req) }
        return .noContent
    }
}
