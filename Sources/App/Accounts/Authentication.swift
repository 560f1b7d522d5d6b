import Fluent
import Vapor

/// The caller of an authenticated request, and the token it came with (so logout revokes that one).
struct Caller: Sendable {
    let user: User
    let userID: Int
    let tokenID: UUID
}

extension Request {
    private struct CallerKey: StorageKey { typealias Value = Caller }

    var caller: Caller {
        get throws {
            guard let caller = storage[CallerKey.self] else {
                throw AppError.unauthorized("Authentification requise.")
            }
            return caller
        }
    }

    fileprivate func setCaller(_ caller: Caller) { storage[CallerKey.self] = caller }
}

/// Requires a valid bearer token: present, known, not revoked, not expired, read from the
/// `Authorization` header only, since a token in a URL ends up in logs and Referer headers. The live
/// channel is the exception: a browser's WebSocket cannot send that header, so
/// `LiveController.authorize` also takes a single-use `?ticket=` and, from older clients, `?token=`
/// (checked by `authenticate` below).
struct TokenAuthMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let value = request.headers.bearerAuthorization?.token, !value.isEmpty
        else {
            throw AppError.unauthorized("Authentification requise : envoyez « Authorization: Bearer <jeton> ».")
        }
        request.setCaller(try await Self.authenticate(value, for: request))
        return try await next.respond(to: request)
    }

    static func authenticate(_ value: String, for req: Request) async throws -> Caller {
        guard value.utf8.count <= 128 else { throw AppError.unauthorized("Jeton invalide ou révoqué.") }
        let digest = UserToken.digest(value)
        let cache = req.application.tokenCache
        let now = req.now
        if let caller = cache.caller(digest: digest, now: now) { return caller }
        // One query for the token and its account when the cache does not know it.
        guard
            let token = try await UserToken.query(on: req.readDB)
                .filter(\.$tokenHash == digest)
                .join(User.self, on: \UserToken.$user.$id == \User.$id)
                .first(),
            let user = try? token.joined(User.self),
            let tokenID = token.id, let userID = user.id
        else {
            throw AppError.unauthorized("Jeton invalide ou révoqué.")
        }
        guard token.expiresAt > now else {
            try await token.delete(on: req.db)
            throw AppError.unauthorized("Jeton expiré : reconnectez-vous.")
        }
        let caller = Caller(user: user, userID: userID, tokenID: tokenID)
        cache.store(caller, digest: digest, expiresAt: token.expiresAt, now: now)
        return caller
    }
}
