import Vapor

/// The one error type of the API: each case carries the reason a person reads, and the field at
/// fault where there is one.
public enum AppError: AbortError, Equatable {
    case invalid(field: String, reason: String)
    case unauthorized(String)
    case forbidden(String)
    case notFound(String)
    case conflict(String)
    case tooManyRequests(String, retryAfter: Int)
    /// The server is at capacity for this kind of work; the client should retry, not the person.
    case unavailable(String, retryAfter: Int)

    public var status: HTTPResponseStatus {
        switch self {
        case .invalid: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .tooManyRequests: .tooManyRequests
        case .unavailable: .serviceUnavailable
        }
    }

    public var reason: String {
        switch self {
        case .invalid(let field, let reason): "\(field) : \(reason)"
        case .unauthorized(let reason), .forbidden(let reason), .notFound(let reason),
            .conflict(let reason), .tooManyRequests(let reason, _), .unavailable(let reason, _):
            reason
        }
    }

    public var field: String? {
        if case .invalid(let field, _) = self { return field }
        return nil
    }

    public var headers: HTTPHeaders {
        var headers = HTTPHeaders()
        switch self {
        case .unauthorized:
            headers.replaceOrAdd(name: .wwwAuthenticate, value: "Bearer")
        case .tooManyRequests(_, let retryAfter), .unavailable(_, let retryAfter):
            headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter))
        default:
            break
        }
        return headers
    }
}
