import NIOConcurrencyHelpers
import Vapor

/// How an instance stops (SIGTERM, a deploy): first the live sockets, told to reconnect, then the
/// HTTP server, which refuses new connections and lets the requests in progress finish, then the
/// handlers of requests whose client has hung up, and only then the other handlers and the
/// databases. Vapor closes the server and the databases together, in no set order: a request that
/// came in after its database had closed crashed the server (a reconnecting phone, found by the
/// benchmarks), instead of a clean exit. Registered last, so that it runs first: handlers stop in
/// the reverse order.
struct GracefulStop: LifecycleHandler {
    /// As long as the server's own wait for its connections (Vapor's `shutdownTimeout`).
    static let grace: Duration = .seconds(10)

    func shutdownAsync(_ application: Application) async {
        // The sockets close first: the server waits for every connection to close, its grace
        // period long for a WebSocket.
        await application.live.shutdown()
        await application.server.shutdown()
        let requests = application.requestsInFlight
        if await !requests.drained(within: Self.grace) {
            application.logger.warning("stopping with \(requests.count) requests still being answered")
        }
    }
}

/// The requests being answered. The server's stop waits for its connections, not for their
/// handlers: a client that hangs up closes its connection at once, and its handler runs on. When
/// such a handler asked for a database after the databases had closed, Fluent's `Request.db`
/// crashed the server (a browser leaving a page during a deploy; `Tests/crash`, 3 stops in 8).
final class RequestsInFlight: Sendable {
    private struct State {
        var running = 0
        var draining = false
    }

    private let state = NIOLockedValueBox(State())

    var count: Int { state.withLockedValue { $0.running } }

    /// Whether the stop is waiting for the requests, for tests.
    var isDraining: Bool { state.withLockedValue { $0.draining } }

    func enter() {
        state.withLockedValue { $0.running += 1 }
    }

    func leave() {
        state.withLockedValue { $0.running -= 1 }
    }

    /// Whether every request has been answered before `limit`. Polled: it runs once, at shutdown,
    /// where a few milliseconds more are nothing beside the requests it waits for.
    func drained(within limit: Duration) async -> Bool {
        state.withLockedValue { $0.draining = true }
        defer { state.withLockedValue { $0.draining = false } }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        while count > 0 {
            guard clock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}

extension Application {
    private struct RequestsKey: StorageKey { typealias Value = RequestsInFlight }

    /// This instance's requests in progress, counted by `InFlightMiddleware`.
    var requestsInFlight: RequestsInFlight {
        if let requests = storage[RequestsKey.self] { return requests }
        let requests = RequestsInFlight()
        storage[RequestsKey.self] = requests
        return requests
    }
}

/// Counts every request from its first byte to its answer: the outermost middleware.
struct InFlightMiddleware: AsyncMiddleware {
    let requests: RequestsInFlight

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        requests.enter()
        defer { requests.leave() }
        return try await next.respond(to: request)
    }
}
