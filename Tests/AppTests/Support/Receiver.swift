import NIOConcurrencyHelpers
import Testing
import Vapor

@testable import App

/// A webhook receiver on loopback: a second Vapor server that records what it is sent and
/// answers with the statuses it is told to.
final class Receiver: Sendable {
    struct Call: Sendable {
        let headers: HTTPHeaders
        let body: String
    }

    let app: Application
    let url: String
    private let calls = NIOLockedValueBox<[Call]>([])
    private let answers = NIOLockedValueBox<[HTTPStatus]>([])
    /// While set, requests wait for it before answering: a receiver that is slow.
    let gate = NIOLockedValueBox<EventLoopPromise<Void>?>(nil)

    private init(app: Application, url: String) {
        self.app = app
        self.url = url
    }

    static func start() async throws -> Receiver {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        let box = NIOLockedValueBox<Receiver?>(nil)
        app.post("hook") { req async throws -> HTTPStatus in
            guard let receiver = box.withLockedValue({ $0 }) else { return .serviceUnavailable }
            if let gate = receiver.gate.withLockedValue({ $0 }) { try await gate.futureResult.get() }
            let body = req.body.string ?? ""
            receiver.calls.withLockedValue { $0.append(Call(headers: req.headers, body: body)) }
            return receiver.answers.withLockedValue { $0.isEmpty ? .noContent : $0.removeFirst() }
        }
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = try #require(app.http.server.shared.localAddress?.port)
        let receiver = Receiver(app: app, url: "http://127.0.0.1:\(port)/hook")
        box.withLockedValue { $0 = receiver }
        return receiver
    }

    func answer(_ statuses: HTTPStatus...) {
        answers.withLockedValue { $0.append(contentsOf: statuses) }
    }

    var received: [Call] { calls.withLockedValue { $0 } }

    /// Runs the dispatcher's pass (tests do not boot its loop) until `count` calls arrived.
    func waitFor(_ count: Int, poke api: TestAPI) async throws -> [Call] {
        for _ in 0..<100 {
            if received.count >= count { return received }
            await WebhookDispatcher.deliverDue(api.app)
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("expected \(count) webhook calls, got \(received.count)")
        return received
    }

    func stop() async throws {
        await app.server.shutdown()
        try await app.asyncShutdown()
    }
}

/// Runs `body` with a receiver started for it, and stops the receiver however `body` ends.
func withReceiver<T>(_ body: (Receiver) async throws -> T) async throws -> T {
    let receiver = try await Receiver.start()
    let result: T
    do {
        result = try await body(receiver)
    } catch {
        try await receiver.stop()
        throw error
    }
    try await receiver.stop()
    return result
}
