import Fluent
import FluentPostgresDriver
import SQLKit
import Vapor

struct AccountsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let auth = routes.grouped("api", "auth")
        auth.post("register", use: register)
        auth.post("login", use: login)
        let protected = routes.grouped(TokenAuthMiddleware())
        protected.post("api", "auth", "logout", use: logout)
        protected.get("api", "me", use: me)
        protected.post("api", "auth", "password", use: changePassword)
    }

    static func validUsername(_ raw: String) throws -> String {
        let username = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (3...32).contains(username.count) else {
            throw AppError.invalid(field: "username", reason: "doit contenir entre 3 et 32 caractères.")
        }
        let allowed = CharacterSet.letters.union(.decimalDigits).union(CharacterSet(charactersIn: "_.-"))
        guard username.unicodeScalars.allSatisfy(allowed.contains) else {
            throw AppError.invalid(field: "username", reason: "lettres, chiffres, « _ », « . » et « - » uniquement.")
        }
        return username
    }

    static func validPassword(_ password: String, field: String = "password") throws -> String {
        guard password.count >= 8 else {
            throw AppError.invalid(field: field, reason: "doit contenir au moins 8 caractères.")
        }
        // Bcrypt reads 72 bytes at most; refusing more avoids a password that silently stops counting.
        guard password.utf8.count <= 72 else {
            throw AppError.invalid(field: field, reason: "doit tenir en 72 octets au plus.")
        }
        return password
    }

    func register(req: Request) async throws -> Response {
        let body = try req.json(RegisterRequest.self)
        let username = try Self.validUsername(body.username)
        let password = try Self.validPassword(body.password)
        let displayName = try Check.optionalText(body.displayName, field: "display_name", maxLength: 64)
        let key = User.key(for: username)
        if try await User.query(on: req.db).filter(\.$usernameKey == key).count() > 0 {
            throw AppError.conflict("Ce nom d'utilisateur est déjà pris.")
        }
        let hash = try await req.password.async.hash(password).get()
        let user = User(username: username, passwordHash: hash, displayName: displayName, now: req.now)
        do {
            try await user.create(on: req.db)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw AppError.conflict("Ce nom d'utilisateur est déjà pris.")
        }
        let response = try await issueToken(for: user, on: req)
        return try await response.encodeResponse(status: .created, for: req)
    }

    func login(req: Request) async throws -> AuthResponse {
        let body = try req.json(LoginRequest.self)
        let key = User.key(for: body.username.trimmingCharacters(in: .whitespacesAndNewlines))
        // Guessing passwords is slowed per account and per address alike; the message is the
        // same whether the account exists or not.
        try req.limit("login:ip:\(req.clientAddress)", req.application.config.limits.loginPerAddress, reason: "Trop de tentatives de connexion.")
        try req.limit("login:user:\(key.prefix(64))", req.application.config.limits.loginPerAccount, reason: "Trop de tentatives de connexion.")
        let user = try await User.query(on: req.db).filter(\.$usernameKey == key).first()
        let candidate = String(body.password.prefix(200))
        let matches = (try? await req.password.async.verify(candidate, created: user?.passwordHash ?? req.application.decoyPasswordHash).get()) ?? false
        guard let user, matches else {
            throw AppError.unauthorized("Nom d'utilisateur ou mot de passe incorrect.")
        }
        req.application.throttle.reset("login:user:\(key.prefix(64))")
        return try await issueToken(for: user, on: req)
    }

    func logout(req: Request) async throws -> HTTPStatus {
        let tokenID = try req.caller.tokenID
        try await UserToken.query(on: req.db).filter(\.$id == tokenID).delete()
        try await Self.revokeLive(tokenID, on: req)
        return .noContent
    }

    /// A new password revokes every token of the account, on every device, and issues a new one
    /// for the device that changed it.
    func changePassword(req: Request) async throws -> AuthResponse {
        let caller = try req.caller
        let body = try req.json(ChangePasswordRequest.self)
        let password = try Self.validPassword(body.newPassword, field: "new_password")
        try req.limit("login:user:\(caller.user.usernameKey.prefix(64))", req.application.config.limits.loginPerAccount,
                      reason: "Trop de tentatives.")
        let matches = (try? await req.password.async.verify(String(body.currentPassword.prefix(200)), created: caller.user.passwordHash).get()) ?? false
        guard matches else {
            throw AppError.invalid(field: "current_password", reason: "mot de passe actuel incorrect.")
        }
        let hash = try await req.password.async.hash(password).get()
        // The caller's account may be shared with other requests through the token cache: change a copy.
        guard let user = try await User.find(caller.userID, on: req.db) else {
            throw AppError.unauthorized("Jeton invalide ou révoqué.")
        }
        user.passwordHash = hash
        user.updatedAt = req.now
        let revoked = try await req.db.transaction { db -> [UUID] in
            try await user.save(on: db)
            let tokens = try await UserToken.query(on: db).filter(\.$user.$id == caller.userID).all()
            try await UserToken.query(on: db).filter(\.$user.$id == caller.userID).delete()
            return tokens.compactMap(\.id)
        }
        for tokenID in revoked { try await Self.revokeLive(tokenID, on: req) }
        return try await issueToken(for: user, on: req)
    }

    /// Live connections opened with a revoked token close, on every instance.
    static func revokeLive(_ tokenID: UUID, on req: Request) async throws {
        if req.db is any PostgresDatabase {
            try await (req.db as! any SQLDatabase).raw("SELECT pg_notify(\(bind: LiveEvents.channel), \(bind: "t:" + tokenID.uuidString))").run()
        }
        req.application.tokenCache.revoke(tokenID: tokenID)
        await req.application.live.revoke(tokenID: tokenID)
    }

    func me(req: Request) async throws -> UserResponse {
        try UserResponse(req.caller.user)
    }

    private func issueToken(for user: User, on req: Request) async throws -> AuthResponse {
        let (value, hash) = UserToken.generate()
        let now = req.now
        let token = UserToken(
            userID: try user.requireID(), tokenHash: hash,
            createdAt: now, expiresAt: now.addingTimeInterval(req.application.config.tokenLifetime)
        )
        try await token.create(on: req.db)
        return AuthResponse(token: value, expiresAt: token.expiresAt, user: try UserResponse(user))
    }
}

extension Application {
    private struct DecoyKey: StorageKey { typealias Value = String }

    /// A digest at the configured cost to check unknown usernames against, so that a wrong
    /// username costs as long as a wrong password and timing tells nothing.
    var decoyPasswordHash: String {
        get { storage[DecoyKey.self] ?? "" }
        set { storage[DecoyKey.self] = newValue }
    }
}
