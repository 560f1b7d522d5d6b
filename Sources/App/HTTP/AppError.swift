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
        case let .invalid(field, reason): "\(field) : \(reason)"
        case let .unauthorized(reason), let .forbidden(reason), let .notFound(reason),
             let .conflict(reason), let .tooManyRequests(reason, _), let .unavailable(reason, _):
            reason
        }
    }

    public var field: String? {
        if case let .invalid(field, _) = self { return field }
        return nil
    }

    public var headers: HTTPHeaders {
        var headers = HTTPHeaders()
        switch self {
        case .unauthorized:
            headers.replaceOrAdd(name: .wwwAuthenticate, value: "Bearer")
        case let .tooManyRequests(_, retryAfter), let .unavailable(_, retryAfter):
            headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter))
        default:
            break
        }
        return headers
    }
}
