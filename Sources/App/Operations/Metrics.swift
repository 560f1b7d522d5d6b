import EtrangeDomain
import Fluent
import Prometheus
import SQLKit
import Vapor

/// The application's Prometheus registry: one per application, so that test servers running
/// side by side in one process count apart.
final class Metrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]

    func requests(method: String, route: String, status: Int) -> Counter {
        registry.makeCounter(
            descriptor: .init(
                namespace: "etrange", metricName: "http_requests", unitName: "total",
                helpText: "HTTP requests answered, by route and status."),
            labels: [("method", method), ("route", route), ("status", String(status))])
    }

    func latency(method: String, route: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "etrange", metricName: "http_request_duration", unitName: "seconds",
                helpText: "Time to answer HTTP requests, by route."),
            labels: [("method", method), ("route", route)],
            buckets: Self.latencyBuckets)
    }

    func webhookAttempt(_ outcome: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "etrange", metricName: "webhook_attempts", unitName: "total",
                helpText: "Webhook delivery attempts, by outcome."),
            labels: [("outcome", outcome)]
        ).increment()
    }

    func livePublished(_ count: Int) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "etrange", metricName: "live_events_published", unitName: "total",
                helpText: "Live events read from the journal and handed to this instance's sockets."),
            labels: []
        ).increment(by: Int64(count))
    }

    /// The gauges read when scraped rather than kept up to date on every change.
    func refresh(app: Application) async throws {
        registry.makeGauge(
            descriptor: .init(
                namespace: "etrange", metricName: "live_connections", unitName: "",
                helpText: "Live WebSocket connections open on this instance."),
            labels: []
        ).set(Double(await app.live.connectionCount))
        if let group = app.groupCommit {
            for (name, value, help) in [
                ("group_commit_transactions", group.batches, "Transactions of SQLite's group commit since the start."),
                ("group_commit_changes", group.changes, "Changes (chat lines, card draws) those transactions took."),
            ] {
                registry.makeGauge(
                    descriptor: .init(namespace: "etrange", metricName: name, unitName: "", helpText: help), labels: []
                ).set(Double(value))
            }
        }
        struct Row: Decodable {
            let status: String
            let count: Int
        }
        let rows = try await app.db.sql
            .select().column("status").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "count")
            .from(Session.schema).groupBy("status")
            .all(decoding: Row.self)
        let counts = Dictionary(uniqueKeysWithValues: rows.map { ($0.status, $0.count) })
        for status in SessionStatus.allCases {
            registry.makeGauge(
                descriptor: .init(
                    namespace: "etrange", metricName: "sessions", unitName: "",
                    helpText: "Sessions in the database, by status."),
                labels: [("status", status.rawValue)]
            ).set(Double(counts[status.rawValue] ?? 0))
        }
    }
}

extension Application {
    var metrics: Metrics { installed() }

    func installMetrics() { install(Metrics()) }
}

/// Counts and times every request under its route's pattern (`/api/sessions/:id`), never its
/// concrete path, so that the number of series stays bounded.
struct MetricsMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next.respond(to: request)
        // Files of the web interface have no route; everything else without one is a 404.
        let route =
            request.route.map { "/" + $0.path.map(\.description).joined(separator: "/") }
            ?? (response.status == .notFound ? "unmatched" : "static")
        let method = request.method.rawValue
        let metrics = request.application.metrics
        metrics.requests(method: method, route: route, status: Int(response.status.code)).increment()
        metrics.latency(method: method, route: route).record(ContinuousClock.now - start)
        return response
    }
}

/// `GET /metrics`, in Prometheus's text format.
struct MetricsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("metrics", use: scrape)
    }

    func scrape(req: Request) async throws -> Response {
        if let expected = req.application.config.metricsToken {
            guard let token = req.headers.bearerAuthorization?.token,
                Array(token.utf8).constantTimeEquals(Array(expected.utf8))
            else {
                throw AppError.unauthorized("Jeton de métriques requis (ETRANGE_METRICS_TOKEN).")
            }
        }
        try await req.application.metrics.refresh(app: req.application)
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(
            type: "text", subType: "plain", parameters: ["version": "0.0.4", "charset": "utf-8"])
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return Response(
            status: .ok, headers: headers, body: .init(string: req.application.metrics.registry.emitToString()))
    }
}
