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

    /// What a failed attempt shows the MJ, whatever failed: a refused address, a closed port, a
    /// silent one or a name that does not resolve. Telling them apart would map the server's
    /// network for whoever sets the address; the details go to the server's log.
    static let failureReason = "Échec de la livraison."

    private let resolverBox = NIOLockedValueBox<any WebhookResolver>(SystemWebhookResolver())
    private let stream: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let tasks = NIOLockedValueBox<[Task<Void, Never>]>([])

    /// Tests put theirs, so that a name means what they need without /etc/hosts.
    var resolver: any WebhookResolver {
        get { resolverBox.withLockedValue { $0 } }
        set { resolverBox.withLockedValue { $0 = newValue } }
    }

    init() {
        (stream, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Whether the delivery loop runs: from the application's boot to its stop, never while
    /// delivery is off.
    var isRunning: Bool { tasks.withLockedValue { !$0.isEmpty } }

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
    }

    /// Sends every delivery due now, at once, and records each outcome; the reminders that came
    /// due are queued first, so that they go out in the same turn.
    static func deliverDue(_ app: Application) async {
        await SessionReminders.queueDue(app)
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
        let sql = app.db.sql
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
        app.metrics.webhookAttempt(
            outcome.verdict == .delivered ? "delivered" : outcome.verdict == .retry ? "retry" : "refused")
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
            update = update.set(
                "next_attempt_at", to: finished.addingTimeInterval(Webhooks.retryDelay(afterAttempt: claim.attempts)))
        case .retry, .giveUp:
            update = update.set("status", to: DeliveryStatus.failed.rawValue).set(
                "next_attempt_at", to: SQLLiteral.null)
        }
        do {
            try await update.where("id", .equal, id).run()
        } catch {
            app.logger.warning("webhooks: outcome not recorded: \(String(reflecting: error))")
        }
        if outcome.verdict != .delivered {
            app.logger.info(
                "webhook \(delivery.event) to partie \(delivery.webhook.$partie.id): attempt \(claim.attempts) \(outcome.detail ?? outcome.error ?? "HTTP \(outcome.statusCode ?? 0)")"
            )
        }
    }

    private struct Outcome {
        enum Verdict { case delivered, retry, giveUp }
        let verdict: Verdict
        let statusCode: Int?
        let error: String?
        /// For the server's log only.
        var detail: String?

        /// Retried like any network failure: a refused address must look like a closed port.
        static func failed(_ detail: String) -> Outcome {
            Outcome(verdict: .retry, statusCode: nil, error: failureReason, detail: detail)
        }
    }

    struct RefusedAddress: Error, CustomStringConvertible {
        let description: String
    }

    private static func send(_ delivery: WebhookDelivery, app: Application) async -> Outcome {
        let webhook = delivery.webhook
        let target: WebhookTarget
        let address: IPAddress
        do {
            target = try WebhookTarget(webhook.url)
        } catch {
            return .failed("unreadable address (saved before the current checks?)")
        }
        do {
            address = try await checkedAddress(
                of: target, resolver: app.webhooks.resolver,
                allowPrivate: app.config.webhooksMayReachPrivateAddresses)
        } catch {
            return .failed("\(target.clientHost):\(target.port): \(error)")
        }
        let client = makeClient(for: target, connectingTo: address, on: app.eventLoopGroup)
        var outcome = await post(delivery, secret: webhook.secret, to: webhook.url, via: client)
        try? await client.shutdown()
        outcome.detail = outcome.detail.map { "\(target.clientHost) (\(address)):\(target.port): \($0)" }
        return outcome
    }

    /// The one address the delivery may connect to: the URL's literal, or the name's first
    /// address once every address it has was checked (one bad answer among good ones is enough
    /// for a name to reach in).
    static func checkedAddress(of target: WebhookTarget, resolver: any WebhookResolver, allowPrivate: Bool) async throws
        -> IPAddress
    {
        switch target.host {
        case .address(let address):
            return try checked([address], allowPrivate: allowPrivate)
        case .name(let name):
            if !allowPrivate, target.isLocalName { throw RefusedAddress(description: "local name") }
            return try checked(try await resolver.addresses(of: name), allowPrivate: allowPrivate)
        }
    }

    static func checked(_ addresses: [IPAddress], allowPrivate: Bool) throws -> IPAddress {
        guard let first = addresses.first else { throw RefusedAddress(description: "no address") }
        if !allowPrivate, let refused = addresses.first(where: { !$0.isPublic }) {
            throw RefusedAddress(description: "\(refused) is not a public address")
        }
        return first
    }

    /// A client for one attempt, that connects to the checked address only. AsyncHTTPClient's
    /// `dnsOverride` replaces its own resolution of the name: the connection goes to `address`
    /// while the Host header, TLS's SNI and the certificate check keep the name. A literal needs
    /// none: the client connects to it as is. No redirects: they would carry the signed body
    /// somewhere never checked.
    private static func makeClient(
        for target: WebhookTarget, connectingTo address: IPAddress, on group: any EventLoopGroup
    ) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10)))
        configuration.httpVersion = .http1Only
        if case .name = target.host {
            configuration.dnsOverride = [target.clientHost: address.description]
        }
        return HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration)
    }

    private static func post(_ delivery: WebhookDelivery, secret: String, to url: String, via client: HTTPClient) async
        -> Outcome
    {
        do {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "EtrangeFrance-Webhook/1")
            request.headers.add(name: "X-Etrange-Event", value: delivery.event)
            request.headers.add(name: "X-Etrange-Delivery", value: delivery.id?.uuidString ?? "")
            request.headers.add(
                name: "X-Etrange-Signature", value: Webhooks.signature(of: delivery.payload, secret: secret))
            request.body = .bytes(ByteBuffer(string: delivery.payload))
            let response = try await client.execute(request, timeout: timeout)
            // Read (within bounds) so that the exchange is over before the client shuts down.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let code = Int(response.status.code)
            switch code {
            case 200..<300: return Outcome(verdict: .delivered, statusCode: code, error: nil)
            case 429, 500...: return Outcome(verdict: .retry, statusCode: code, error: "HTTP \(code)")
            default: return Outcome(verdict: .giveUp, statusCode: code, error: "HTTP \(code) : le destinataire refuse")
            }
        } catch {
            return .failed(String(describing: error).prefix(300).description)
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
        let dispatcher = WebhookDispatcher()
        webhooks = dispatcher
        lifecycle.use(dispatcher)
    }
}
