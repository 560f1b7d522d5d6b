import EtrangeDomain
import Fluent
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
        protected.put("api", "me", use: updateMe)
        protected.delete("api", "me", use: AccountDeletion.delete)
        protected.get("api", "me", "export", use: AccountExport.export)
        protected.post("api", "auth", "password", use: changePassword)
    }

    static func validUsername(_ raw: String) throws -> String {
        let username = Username.normalized(raw)
        let reason: String
        switch Username.refusal(username) {
        case nil: return username
        case .bounds(.tooShort), .bounds(.tooLong): reason = "doit contenir entre 3 et 32 caractères."
        case .bounds(let violation): reason = Check.reason(violation)
        case .characters: reason = "lettres, chiffres, « _ », « . » et « - » uniquement."
        case .mixedScripts(let scripts):
            reason =
                "mélange d'écritures (\(scripts.joined(separator: ", "))) : un nom s'écrit dans une seule, pour qu'aucun ne puisse en imiter un autre."
        }
        throw AppError.invalid(field: "username", reason: reason)
    }

    /// Shown beside every message and draw: without the characters that reorder text, a display
    /// name cannot push the rest of a line around or read backwards.
    static func validDisplayName(_ raw: String?) throws -> String? {
        try Check.optionalText(
            raw.map(TextBounds.removingBidiControls), field: "display_name", maxLength: 64, scalars: 64)
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
        let displayName = try Self.validDisplayName(body.displayName)
        let limits = req.application.config.limits
        try req.limit(
            "register:ip:\(req.clientAddress)", limits.registerPerAddress,
            reason: "Trop de comptes créés depuis cette adresse.")
        try req.limit("register", limits.registerGlobal, reason: "Trop de comptes créés en ce moment.")
        let user = User(username: username, passwordHash: "", displayName: displayName, now: req.now)
        let existing = try await User.query(on: req.db).group(.or) {
            $0.filter(\.$usernameKey == user.usernameKey).filter(\.$usernameSkeleton == user.usernameSkeleton)
        }.first()
        if let existing {
            throw Self.taken(lookalike: existing.usernameKey != user.usernameKey)
        }
        user.passwordHash = try await req.application.passwordHashing.hash(password, .bulk)
        do {
            try await user.create(on: req.db)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // Someone registered the same name, or one that looks like it, in the meantime.
            throw Self.taken(lookalike: true)
        }
        let response = try await issueToken(for: user, on: req)
        return try await response.encodeResponse(status: .created, for: req)
    }

    private static func taken(lookalike: Bool) -> AppError {
        .conflict(
            lookalike
                ? "Ce nom d'utilisateur est pris ou ressemble trop à celui d'un compte existant."
                : "Ce nom d'utilisateur est déjà pris.")
    }

    /// The failures allowed on one account from one address: someone guessing elsewhere never
    /// locks its owner out. Keys are cut so that a huge username cannot bloat the buckets.
    static func failureKey(_ usernameKey: String, on req: Request) -> String {
        "login:user:\(String(decoding: usernameKey.utf8.prefix(128), as: UTF8.self)):\(req.clientAddress)"
    }

    func login(req: Request) async throws -> AuthResponse {
        let body = try req.json(LoginRequest.self)
        let typed = body.username.trimmingCharacters(in: .whitespacesAndNewlines)
        // Accounts made before names were normalized keep the key of what was typed then.
        let key = User.key(for: Username.normalized(typed))
        let keys = Set([key, User.key(for: typed)])
        let limits = req.application.config.limits
        // Guessing passwords is slowed per address, and per account from that address; the
        // message is the same whether the account exists or not.
        try req.limit(
            "login:ip:\(req.clientAddress)", limits.loginPerAddress, reason: "Trop de tentatives de connexion.")
        return try await req.limitFailures(
            Self.failureKey(key, on: req), limits.loginPerAccount, reason: "Trop de tentatives de connexion."
        ) {
            let users = try await User.query(on: req.db).filter(\.$usernameKey ~~ keys).all()
            let user = users.first { $0.usernameKey == key } ?? users.first
            let password = String(body.password.prefix(200))
            // An account imported from the mobile app proves its password by the app's digest.
            let matches = try await req.application.passwordHashing.verify(
                LegacyPassword.candidate(password, for: user),
                created: user?.passwordHash ?? req.application.decoyPasswordHash, .interactive)
            guard let user, matches else {
                throw AppError.unauthorized("Nom d'utilisateur ou mot de passe incorrect.")
            }
            try await LegacyPassword.upgrade(user, password: password, on: req)
            return try await issueToken(for: user, on: req)
        }
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
        try await req.limitFailures(
            Self.failureKey(caller.user.usernameKey, on: req), req.application.config.limits.loginPerAccount,
            reason: "Trop de tentatives."
        ) {
            let matches = try await req.application.passwordHashing.verify(
                LegacyPassword.candidate(String(body.currentPassword.prefix(200)), for: caller.user),
                created: caller.user.passwordHash, .interactive)
            guard matches else {
                throw AppError.invalid(field: "current_password", reason: "mot de passe actuel incorrect.")
            }
        }
        let hash = try await req.application.passwordHashing.hash(password, .interactive)
        // The caller's account may be shared with other requests through the token cache: change a copy.
        guard let user = try await User.find(caller.userID, on: req.db) else {
            throw AppError.unauthorized("Jeton invalide ou révoqué.")
        }
        user.passwordHash = hash
        user.legacySHA256 = false
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
        try await LiveEvents.notify("t:" + tokenID.uuidString, on: req.db)
        req.application.tokenCache.revoke(tokenID: tokenID)
        await req.application.live.revoke(tokenID: tokenID)
    }

    func me(req: Request) async throws -> UserResponse {
        try UserResponse(req.caller.user)
    }

    /// The name shown beside the caller's messages and draws; `null` or blank goes back to the
    /// username.
    func updateMe(req: Request) async throws -> UserResponse {
        let caller = try req.caller
        let body = try req.json(UpdateMeRequest.self)
        let displayName = try Self.validDisplayName(body.displayName)
        // The cached account may be shared with other requests: change a copy, then drop this
        // token's entry so that its next request reads the new name.
        guard let user = try await User.find(caller.userID, on: req.db) else {
            throw AppError.unauthorized("Jeton invalide ou révoqué.")
        }
        user.displayName = displayName
        user.updatedAt = req.now
        try await user.save(on: req.db)
        req.application.tokenCache.revoke(tokenID: caller.tokenID)
        return try UserResponse(user)
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
