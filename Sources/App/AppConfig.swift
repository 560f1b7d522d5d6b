import EtrangeDomain
import Foundation
import Vapor

/// Everything the server reads from its environment, read once at start. The README lists each
/// variable with its default.
public struct AppConfig: Sendable {
    public enum DatabaseTarget: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(url: String)
    }

    public var database: DatabaseTarget
    /// PostgreSQL schema holding the tables, for a database shared with other programs.
    public var databaseSchema: String?
    /// PostgreSQL connections per event loop; nil for the default. SQLite has one connection.
    public var databasePoolSize: Int?
    /// SQLite waits for its journal to reach the disk at every commit (`full`), or lets the
    /// system write it (`normal`): see `configureDatabase`.
    public var sqliteFullSync = false
    /// How long a request waits for a free database connection before failing.
    public var databasePoolTimeout: TimeInterval = 30
    /// The address people reach the server at; the invitation QR codes point there.
    public var publicURL: String
    public var tokenLifetime: TimeInterval
    public var bcryptCost: Int
    public var maxBodySize: ByteCount
    /// A presence not heard from for this long is swept offline.
    public var presenceTimeout: TimeInterval
    /// How often the sweeper looks for such presences.
    public var sweepInterval: TimeInterval
    /// Events a live connection may have waiting before it is closed as too slow.
    public var liveQueueLimit: Int
    /// How long the live channel's journal keeps events, for reconnections with `since`.
    public var eventRetention: TimeInterval
    /// Live connections one person may hold to one session, then to all sessions, on one
    /// instance; beyond, their oldest connection is closed (`stream.replaced`).
    public var liveSocketsPerSession = 5
    public var liveSocketsPerUser = 20
    /// Whether webhooks may point at loopback and private networks (tests, a receiver on the LAN).
    public var webhooksMayReachPrivateAddresses = false
    /// Off, webhook deliveries are queued but never sent (a test that must not reach out).
    public var webhookDelivery = true
    /// How long `GET /api/parties/{id}/changes` waits for a change before answering that there was
    /// none: under the 60 s a proxy commonly allows a silent response.
    public var partieChangesWait: TimeInterval = 25
    /// Without activity for this long, an online participant shows as idle.
    public var idleAfter: TimeInterval = 300
    /// The zone the Markdown exports write dates in, unless the reader asks for another.
    public var timeZone = TimeZone(identifier: "Europe/Paris")!
    /// When set, `/metrics` wants it as a bearer token.
    public var metricsToken: String?
    /// `json` writes one JSON object per log line, for log collectors.
    public var jsonLogs = false
    /// Allowances (429 beyond) and the password-hashing threads and queue (503 beyond): `Limits`.
    public var limits = Limits()
    /// An HTTP connection that neither sends nor receives for this long is closed. Live sockets
    /// are pinged every 20 s, so only a silent or dead client is ever cut.
    public var httpIdleTimeout: TimeInterval = 60
    /// Proxies whose `X-Forwarded-For` names the client (nginx in front: `127.0.0.1`). Nobody's by
    /// default: a client could otherwise write any address it likes and escape every per-address limit.
    public var trustedProxies = TrustedProxies.none
    /// Handouts' size (`ETRANGE_HANDOUT_MAX_MB`) and the pixels a picture may decode to.
    public var handoutLimits = HandoutLimits()
    /// The web interface's folder, when not found beside the executable or here (`WebFiles`).
    public var publicDirectory: String?

    public init(
        database: DatabaseTarget = .sqlite(path: "data/etrange.sqlite"),
        databaseSchema: String? = nil,
        databasePoolSize: Int? = nil,
        publicURL: String = "http://127.0.0.1:8080",
        tokenLifetime: TimeInterval = 30 * 24 * 3600,
        bcryptCost: Int = 12,
        maxBodySize: ByteCount = "64kb",
        presenceTimeout: TimeInterval = 60,
        sweepInterval: TimeInterval = 10,
        liveQueueLimit: Int = 256,
        eventRetention: TimeInterval = 48 * 3600
    ) {
        self.database = database
        self.databaseSchema = databaseSchema
        self.databasePoolSize = databasePoolSize
        self.publicURL = publicURL
        self.tokenLifetime = tokenLifetime
        self.bcryptCost = bcryptCost
        self.maxBodySize = maxBodySize
        self.presenceTimeout = presenceTimeout
        self.sweepInterval = sweepInterval
        self.liveQueueLimit = liveQueueLimit
        self.eventRetention = eventRetention
    }

    struct Invalid: Error, CustomStringConvertible {
        let variable: String
        let problem: String
        var description: String { "\(variable): \(problem)" }
    }

    /// Reads the configuration; a variable that is set but unusable stops the start with a message
    /// naming it, rather than running with a surprise.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws
        -> AppConfig
    {
        var config = AppConfig()
        if let url = env["DATABASE_URL"], !url.isEmpty {
            config.database = try parseDatabaseURL(url)
        }
        config.databaseSchema = env["ETRANGE_DB_SCHEMA"].flatMap { $0.isEmpty ? nil : $0 }
        if let schema = config.databaseSchema,
            schema.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) == nil
        {
            throw Invalid(variable: "ETRANGE_DB_SCHEMA", problem: "minuscules, chiffres et _ seulement")
        }
        if env["ETRANGE_DB_POOL"].map({ !$0.isEmpty }) == true {
            config.databasePoolSize = try integer(env, "ETRANGE_DB_POOL", default: 0, in: 1...64)
        }
        switch env["ETRANGE_SQLITE_SYNC"] ?? "" {
        case "", "normal": config.sqliteFullSync = false
        case "full": config.sqliteFullSync = true
        default: throw Invalid(variable: "ETRANGE_SQLITE_SYNC", problem: "normal ou full attendu")
        }
        config.databasePoolTimeout = TimeInterval(try integer(env, "ETRANGE_DB_POOL_TIMEOUT", default: 30, in: 1...600))
        if let url = env["ETRANGE_PUBLIC_URL"], !url.isEmpty {
            guard let parsed = URL(string: url), parsed.scheme == "http" || parsed.scheme == "https", parsed.host != nil
            else {
                throw Invalid(variable: "ETRANGE_PUBLIC_URL", problem: "une URL http(s) est attendue")
            }
            config.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        config.tokenLifetime =
            TimeInterval(try integer(env, "ETRANGE_TOKEN_TTL_HOURS", default: 720, in: 1...87_600)) * 3600
        config.bcryptCost = try integer(env, "ETRANGE_BCRYPT_COST", default: config.bcryptCost, in: 4...31)
        config.maxBodySize = ByteCount(
            value: try integer(env, "ETRANGE_MAX_BODY_KB", default: 64, in: 1...10_240) * 1024)
        config.handoutLimits.maxBytes =
            try integer(env, "ETRANGE_HANDOUT_MAX_MB", default: 8, in: 1...100) * 1024 * 1024
        config.presenceTimeout = TimeInterval(try integer(env, "ETRANGE_PRESENCE_TIMEOUT", default: 60, in: 5...86_400))
        config.sweepInterval = TimeInterval(try integer(env, "ETRANGE_SWEEP_INTERVAL", default: 10, in: 1...3600))
        config.liveQueueLimit = try integer(env, "ETRANGE_LIVE_QUEUE", default: config.liveQueueLimit, in: 8...100_000)
        config.eventRetention =
            TimeInterval(try integer(env, "ETRANGE_EVENT_RETENTION_HOURS", default: 48, in: 1...8760)) * 3600
        config.liveSocketsPerSession = try integer(
            env, "ETRANGE_LIVE_MAX_SOCKETS_PER_SESSION", default: config.liveSocketsPerSession, in: 1...1000)
        config.liveSocketsPerUser = try integer(
            env, "ETRANGE_LIVE_MAX_SOCKETS_PER_USER", default: config.liveSocketsPerUser, in: 1...10_000)
        config.webhooksMayReachPrivateAddresses = try flag(env, "ETRANGE_WEBHOOK_ALLOW_PRIVATE", default: false)
        config.webhookDelivery = try flag(env, "ETRANGE_WEBHOOK_DELIVERY", default: true)
        config.idleAfter = TimeInterval(try integer(env, "ETRANGE_IDLE_AFTER", default: 300, in: 30...86_400))
        if let name = env["ETRANGE_TIMEZONE"], !name.isEmpty {
            guard let zone = TimeZone(identifier: name) else {
                throw Invalid(
                    variable: "ETRANGE_TIMEZONE", problem: "un fuseau IANA tel que Europe/Paris est attendu")
            }
            config.timeZone = zone
        }
        config.metricsToken = env["ETRANGE_METRICS_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        config.publicDirectory = env["ETRANGE_PUBLIC_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        switch env["ETRANGE_LOG_FORMAT"] ?? "" {
        case "", "text": config.jsonLogs = false
        case "json": config.jsonLogs = true
        default: throw Invalid(variable: "ETRANGE_LOG_FORMAT", problem: "text ou json attendu")
        }
        config.limits.enabled = try flag(env, "ETRANGE_RATE_LIMITS", default: true)
        config.limits.hashThreads = try integer(
            env, "ETRANGE_HASH_THREADS", default: config.limits.hashThreads, in: 1...64)
        config.limits.hashQueue = try integer(
            env, "ETRANGE_HASH_QUEUE", default: config.limits.hashQueue, in: 1...100_000)
        config.httpIdleTimeout = TimeInterval(try integer(env, "ETRANGE_HTTP_IDLE_TIMEOUT", default: 60, in: 25...3600))
        if let list = env["ETRANGE_TRUSTED_PROXIES"], !list.isEmpty {
            guard let proxies = TrustedProxies(list: list) else {
                throw Invalid(
                    variable: "ETRANGE_TRUSTED_PROXIES",
                    problem: "adresses ou réseaux séparés par des virgules attendus, tels que 127.0.0.1, 10.0.0.0/8")
            }
            config.trustedProxies = proxies
        }
        return config
    }

    /// Connections per event loop on PostgreSQL, which works in parallel. SQLite's driver keeps
    /// one connection per event loop whatever it is asked, and the server uses one loop
    /// (`OneLoopDatabaseConfiguration`): one connection in all, which SQLite's single writer suits.
    public var effectivePoolSize: Int {
        databasePoolSize ?? 4
    }

    static func parseDatabaseURL(_ url: String) throws -> DatabaseTarget {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return .postgres(url: url)
        }
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw Invalid(variable: "DATABASE_URL", problem: "sqlite:// attend un chemin") }
            return .sqlite(path: path)
        }
        throw Invalid(variable: "DATABASE_URL", problem: "postgres://… ou sqlite://chemin attendu")
    }

    private static func flag(_ env: [String: String], _ name: String, default value: Bool) throws -> Bool {
        switch env[name] ?? "" {
        case "": return value
        case "on": return true
        case "off": return false
        default: throw Invalid(variable: name, problem: "on ou off attendu")
        }
    }

    private static func integer(_ env: [String: String], _ name: String, default value: Int, in range: ClosedRange<Int>)
        throws -> Int
    {
        guard let raw = env[name], !raw.isEmpty else { return value }
        guard let parsed = Int(raw), range.contains(parsed) else {
            throw Invalid(
                variable: name, problem: "un entier de \(range.lowerBound) à \(range.upperBound) est attendu")
        }
        return parsed
    }
}

extension Application {
    private struct ConfigKey: StorageKey { typealias Value = AppConfig }

    public var config: AppConfig {
        get { storage[ConfigKey.self] ?? AppConfig() }
        set { storage[ConfigKey.self] = newValue }
    }
}
