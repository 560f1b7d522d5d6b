import Fluent
import Vapor

/// The body of every failure the API returns.
struct ErrorResponse: Content {
    var error = true
    var status: Int
    var reason: String
    var field: String?
}

/// Turns every error into JSON with the right status. Errors the server did not expect become a
/// 500 whose body says nothing about the internals; the log keeps the detail.
struct APIErrorMiddleware: AsyncMiddleware {
    let environment: Environment

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            return response(for: error, request: request)
        }
    }

    private func response(for error: any Error, request: Request) -> Response {
        let status: HTTPResponseStatus
        let reason: String
        var field: String?
        var headers = HTTPHeaders()

        switch error {
        case let error as AppError:
            (status, reason, field, headers) = (error.status, error.reason, error.field, error.headers)
        case let error as DecodingError:
            (status, reason, field) = Self.describe(error)
        case let error as any AbortError where error.status == .unprocessableEntity:
            // Vapor's word for a body it could not read; the API calls that invalid input.
            (status, reason) = (.badRequest, "Corps de requête illisible : \(error.reason)")
        case let error as any AbortError where error.status == .payloadTooLarge && error.reason == "Payload Too Large":
            // Vapor's own refusal of a body over the route's limit, in English.
            (status, reason) = (.payloadTooLarge, "Corps de requête trop volumineux.")
        case let error as any AbortError:
            status = error.status
            reason = error.status == .internalServerError ? "Erreur interne du serveur." : error.reason
            headers = error.headers
        case is ConnectionPoolTimeoutError:
            // Every connection stayed busy for the whole pool timeout: an overload, which a client
            // should retry, not a fault of the request.
            // The endpoint and the wait tell an operator which load to look at and which knob
            // (ETRANGE_DB_POOL, ETRANGE_DB_POOL_TIMEOUT) is involved.
            request.logger.warning(
                "no database connection within the pool timeout (\(Int(request.application.config.databasePoolTimeout)) s): \(request.method) \(request.url.path)"
            )
            (status, reason) = (.serviceUnavailable, "Le serveur est surchargé : réessayez dans quelques secondes.")
            headers.replaceOrAdd(name: .retryAfter, value: "5")
        case let error as any DatabaseError where error.isConstraintFailure:
            request.logger.notice("constraint failure: \(String(reflecting: error))")
            (status, reason) = (
                .conflict, "La modification entre en conflit avec l'état actuel des données. Rechargez et réessayez."
            )
        default:
            request.logger.report(error: error)
            (status, reason) = (.internalServerError, "Erreur interne du serveur.")
        }

        let body = ErrorResponse(status: Int(status.code), reason: reason, field: field)
        let response = Response(status: status, headers: headers)
        response.headers.remove(name: .contentLength)
        do {
            try response.content.encode(body, using: JSONCoding.encoder)
        } catch {
            response.body = .init(string: #"{"error":true,"status":500,"reason":"Erreur interne du serveur."}"#)
            response.headers.replaceOrAdd(name: .contentType, value: "application/json; charset=utf-8")
        }
        return response
    }

    /// A readable reason for a body that does not fit the expected shape, naming the field in the
    /// API's own spelling (snake_case, with indexes for arrays).
    /// Foundation explains a bad value in English; the API's own date message is already French.
    static func frenchReason(_ text: String) -> String {
        if text.hasPrefix("date invalide") { return text }
        if text.contains("UUID") { return "doit être un UUID, par exemple 5F1C8E2A-3B4D-4C6E-8F90-1A2B3C4D5E6F." }
        if text.hasPrefix("Cannot initialize") { return "valeur non reconnue." }
        return "valeur invalide."
    }

    static func describe(_ error: DecodingError) -> (HTTPResponseStatus, String, String?) {
        func path(_ codingPath: [any CodingKey]) -> String? {
            let parts = codingPath.map { key in
                key.intValue.map { "[\($0)]" } ?? JSONCoding.snakeCase(key.stringValue)
            }
            guard !parts.isEmpty else { return nil }
            return parts.enumerated().map { index, part in
                index == 0 || part.hasPrefix("[") ? part : "." + part
            }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key]) ?? key.stringValue
            return (.badRequest, "\(field) : champ obligatoire manquant.", field)
        case .valueNotFound(_, let context):
            let field = path(context.codingPath)
            return (.badRequest, "\(field ?? "corps") : valeur manquante (null).", field)
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return (.badRequest, "\(field ?? "corps") : type attendu \(JSONCoding.typeName(type)).", field)
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if field == nil {
                return (.badRequest, "Le corps de la requête n'est pas un JSON valide.", nil)
            }
            return (.badRequest, "\(field!) : \(frenchReason(context.debugDescription))", field)
        @unknown default:
            return (.badRequest, "Requête invalide.", nil)
        }
    }
}
