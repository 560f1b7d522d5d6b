import AsyncHTTPClient
import Fluent
import NIOConcurrencyHelpers
import NIOCore
import SQLKit
import Vapor

/// Sends the queued deliveries, off the requests that queued them. Every instance runs one; a
/// delivery is claimed by a conditional update, so two instances never send the same attempt.
final class WebhookDispatcher: LifecycleHandler, Sendable {
    /// Without a poke (a delivery queued by another instance, a retry coming due), look this often.
    static let pollInterval: Duration = .seconds(1)
    /// Longest wait for a receiver's answer.
    static let timeout: TimeAmount = .seconds(10)

    /// A client of their own: no redirects (they would carry the signed body somewhere the MJ
    /// never named), short timeouts, and no effect on the application's shared client.
    let client: HTTPClient
    private let stream: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let tasks = NIOLockedValueBox<[Task<Void, Never>]>([])

    init(eventLoopGroup: any EventLoopGroup) {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10)))
        configuration.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: configuration)
        (stream, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a look at the queue now; cheap, never waits.
    func poke() {
        wake.yield()
    }

    func didBootAsync(_ application: Application) async throws {
        guard application.config.webhookDelivery else {
            application.logger.notice("webhooks: delivery off (ETRANGE_WEBHOOK_DELIVERY=off); deliveries stay queued")
            return
        }
        let stream = stream
        let wake = wake
        let worker = Task { [weak application] in
            for await _ in stream {
                guard let application else { return }
                await Self.deliverDue(application)
            }
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.pollInterval)
                wake.yield()
            }
        }
        tasks.withLockedValue { $0 = [worker, ticker] }
    }

    func shutdownAsync(_ application: Application) async {
        wake.finish()
        let running = tasks.withLockedValue { tasks -> [Task<Void, Never>] in
            defer { tasks = [] }
            return tasks
        }
        for task in running { task.cancel() }
        for task in running { await task.value }
        try? await client.shutdown()
    }

    /// Sends every delivery due now, at once, and records each outcome.
    static func deliverDue(_ app: Application) async {
        do {
            let now = app.clock.now()
            let due = try await WebhookDelivery.query(on: app.db)
                .filter(\.$status == .pending)
                .filter(\.$nextAttemptAt <= now)
                .group(.or) { $0.filter(\.$claimedUntil == nil).filter(\.$claimedUntil < now) }
                .sort(\.$createdAt)
                .limit(50)
                .with(\.$webhook)
                .all()
            await withTaskGroup(of: Void.self) { group in
                for delivery in due {
                    group.addTask { await attempt(delivery, app: app) }
                }
            }
        } catch {
            app.logger.warning("webhooks: queue unreadable: \(String(reflecting: error))")
        }
    }

    private struct Claimed: Decodable { let attempts: Int }

    private static func attempt(_ delivery: WebhookDelivery, app: Application) async {
        guard let id = delivery.id else { return }
        let now = app.clock.now()
        let sql = app.db as! any SQLDatabase
        let claim: Claimed?
        do {
            claim = try await sql.update(WebhookDelivery.schema)
                .set("claimed_until", to: now.addingTimeInterval(60))
                .set(SQLIdentifier("attempts"), to: SQLRaw("attempts + 1"))
                .where("id", .equal, id)
                .where("status", .equal, DeliveryStatus.pending.rawValue)
                .where { $0.where("claimed_until", .is, SQLLiteral.null).orWhere("claimed_until", .lessThan, now) }
                .returning("attempts")
                .first(decoding: Claimed.self)
        } catch {
            app.logger.warning("webhooks: claim failed: \(String(reflecting: error))")
            return
        }
        guard let claim else { return }

        let outcome = await send(delivery, app: app)
        app.metrics.webhookAttempt(outcome.verdict == .delivered ? "delivered" : outcome.verdict == .retry ? "retry" : "refused")
        let finished = app.clock.now()
        var update = sql.update(WebhookDelivery.schema)
            .set("claimed_until", to: SQLLiteral.null)
            .set("last_status_code", to: outcome.statusCode)
            .set("last_error", to: outcome.error)
        switch outcome.verdict {
        case .delivered:
            update = update.set("status", to: DeliveryStatus.delivered.rawValue).set("delivered_at", to: finished)
                .set("next_attempt_at", to: SQLLiteral.null)
        case .retry where claim.attempts < Webhooks.maxAttempts:
            update = update.set("next_attempt_at", to: finished.addingTimeInterval(Webhooks.retryDelay(afterAttempt: claim.attempts)))
        case .retry, .giveUp:
            update = update.set("status", to: DeliveryStatus.failed.rawValue).set("next_attempt_at", to: SQLLiteral.null)
        }
        do {
            try await update.where("id", .equal, id).run()
        } catch {
            app.logger.warning("webhooks: outcome not recorded: \(String(reflecting: error))")
        }
        if outcome.verdict != .delivered {
            app.logger.info("webhook \(delivery.event) to partie \(delivery.webhook.$partie.id): attempt \(claim.attempts) \(outcome.error ?? "HTTP \(outcome.statusCode ?? 0)")")
        }
    }

    private struct Outcome {
        enum Verdict { case delivered, retry, giveUp }
        let verdict: Verdict
        let statusCode: Int?
        let error: String?
    }

    private static func send(_ delivery: WebhookDelivery, app: Application) async -> Outcome {
        let webhook = delivery.webhook
        do {
            var request = HTTPClientRequest(url: webhook.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "EtrangeFrance-Webhook/1")
            request.headers.add(name: "X-Etrange-Event", value: delivery.event)
            request.headers.add(name: "X-Etrange-Delivery", value: delivery.id?.uuidString ?? "")
            request.headers.add(name: "X-Etrange-Signature", value: Webhooks.signature(of: delivery.payload, secret: webhook.secret))
            request.body = .bytes(ByteBuffer(string: delivery.payload))
            let response = try await app.webhooks.client.execute(request, timeout: timeout)
            // The body is not needed, but it must be read for the connection to be reused.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let code = Int(response.status.code)
            switch code {
            case 200..<300: return Outcome(verdict: .delivered, statusCode: code, error: nil)
            case 429, 500...: return Outcome(verdict: .retry, statusCode: code, error: "HTTP \(code)")
            default: return Outcome(verdict: .giveUp, statusCode: code, error: "HTTP \(code) : le destinataire refuse")
            }
        } catch {
            return Outcome(verdict: .retry, statusCode: nil, error: String(describing: error).prefix(300).description)
        }
    }
}

extension Application {
    private struct WebhooksKey: StorageKey { typealias Value = WebhookDispatcher }

    var webhooks: WebhookDispatcher {
        get {
            guard let dispatcher = storage[WebhooksKey.self] else { fatalError("installWebhooks() not called") }
            return dispatcher
        }
        set { storage[WebhooksKey.self] = newValue }
    }

    func installWebhooks() {
        let dispatcher = WebhookDispatcher(eventLoopGroup: eventLoopGroup)
        webhooks = dispatcher
        lifecycle.use(dispatcher)
    }
}
