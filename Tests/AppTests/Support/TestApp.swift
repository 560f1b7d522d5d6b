import Fluent
import Foundation
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// The databases the suite runs on: SQLite always, PostgreSQL when the test command provides a
/// server (`ETRANGE_TEST_POSTGRES_URL`).
enum TestDatabase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["ETRANGE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var enabled: [TestDatabase] {
        postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    var testDescription: String { rawValue }
}

/// The instant every test starts at: a Friday evening, 20:00 UTC.
let pinnedStart = Date(timeIntervalSince1970: 1_737_403_200)

/// A fresh database (a new SQLite file, or a new PostgreSQL schema), a server listening on a free
/// loopback port, a pinned clock; all of it thrown away afterwards.
func withApp<T>(
    _ database: TestDatabase,
    configure adjust: (inout AppConfig) -> Void = { _ in },
    routes extra: (any RoutesBuilder) -> Void = { _ in },
    boot: Bool = false,
    _ body: (TestAPI) async throws -> T
) async throws -> T {
    guard database == .postgres, !PostgresApps.held else {
        return try await makeApp(database, configure: adjust, routes: extra, boot: boot, body)
    }
    await PostgresApps.shared.acquire()
    do {
        let result = try await PostgresApps.$held.withValue(true) {
            try await makeApp(database, configure: adjust, routes: extra, boot: boot, body)
        }
        await PostgresApps.shared.release()
        return result
    } catch {
        await PostgresApps.shared.release()
        throw error
    }
}

/// How many applications on PostgreSQL the suite runs at once. Each holds a pool of a few
/// connections, and the whole suite starting together went past the server's 400
/// (`sorry, too many clients already`): the others wait for a place. A test that opens a second
/// application inside the first (two instances) does not wait for one: it could wait forever.
actor PostgresApps {
    static let shared = PostgresApps(places: 48)
    @TaskLocal static var held = false

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(places: Int) {
        free = places
    }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

private func makeApp<T>(
    _ database: TestDatabase,
    configure adjust: (inout AppConfig) -> Void,
    routes extra: (any RoutesBuilder) -> Void,
    boot: Bool,
    _ body: (TestAPI) async throws -> T
) async throws -> T {
    let app = try await Application.make(.testing)
    let clock = ManualClock(pinnedStart)
    app.clock = clock
    // Concurrency tests send dozens of requests at once; each gets its own connection rather
    // than queueing behind a small pool on a busy two-core machine.
    app.http.client.configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 128
    app.http.client.configuration.timeout = .init(connect: .seconds(60), read: .seconds(120))
    let unique = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    var config = AppConfig(bcryptCost: 4)
    let sqlitePath = FileManager.default.temporaryDirectory.appendingPathComponent("etrange-tests/\(unique).sqlite")
        .path
    switch database {
    case .sqlite:
        config.database = .sqlite(path: sqlitePath)
    case .postgres:
        config.database = .postgres(url: try #require(TestDatabase.postgresURL))
        config.databaseSchema = "t_\(unique)"
        config.databasePoolSize = 2
    }
    config.publicURL = "http://etrange.test"
    // The whole suite runs at once on two cores: a request may wait long for a connection, and
    // a pool timeout would fail it for the machine's sake rather than the code's.
    config.databasePoolTimeout = 300
    adjust(&config)

    let result: Result<T, any Error>
    do {
        try await configure(app, config: config)
        extra(app.routes)
        // The lifecycle handlers (sweeper, PostgreSQL listener, webhook dispatcher) start only
        // where a test asks: elsewhere tests run their passes by hand, on the pinned clock.
        if boot { try await app.asyncBoot() }
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = try #require(app.http.server.shared.localAddress?.port)
        let api = TestAPI(app: app, clock: clock, base: "http://127.0.0.1:\(port)", database: database)
        result = .success(try await body(api))
    } catch {
        result = .failure(error)
    }

    // Open live sockets would hold the server's graceful shutdown for its full grace period. A
    // booted application stops as in production: `GracefulStop` does this itself.
    if !boot {
        await app.live.shutdown()
        await app.server.shutdown()
    }
    try await app.asyncShutdown()
    // Once the application has stopped: a booted one's sweeper and listener, still running until
    // then, would otherwise fill the log with tables that no longer exist.
    if database == .postgres, let schema = config.databaseSchema {
        try? await dropSchema(schema)
    }
    if database == .sqlite {
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: sqlitePath + suffix)
        }
        try? FileManager.default.removeItem(at: Application.handoutFolder(forDatabaseAt: sqlitePath))
    }
    return try result.get()
}

/// Drops a test's schema on a connection of its own.
private func dropSchema(_ schema: String) async throws {
    let url = try #require(TestDatabase.postgresURL)
    let connection = try await PostgresConnection.connect(
        on: MultiThreadedEventLoopGroup.singleton.any(),
        configuration: try SQLPostgresConfiguration(url: url).coreConfiguration, id: 0,
        logger: Logger(label: "tests"))
    defer { Task { try? await connection.close() } }
    try await connection.query(
        PostgresQuery(unsafeSQL: #"DROP SCHEMA IF EXISTS "\#(schema)" CASCADE"#), logger: connection.logger)
}

/// A response as a client sees it.
struct APIResponse: Sendable {
    let status: HTTPResponseStatus
    let headers: HTTPHeaders
    let body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONCoding.decoder.decode(T.self, from: body)
    }

    /// The body as loose JSON, to check which keys are there at all.
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
    }

    var error: ErrorResponse? { try? decode(ErrorResponse.self) }
}

struct TestUser: Sendable {
    let id: Int
    let username: String
    let token: String
}

/// Real HTTP requests to the server under test.
struct TestAPI: Sendable {
    let app: Application
    let clock: ManualClock
    let base: String
    let database: TestDatabase

    var db: any Database { app.db }

    @discardableResult
    func send(
        _ method: HTTPMethod, _ path: String, token: String? = nil,
        json: Any? = nil, raw: String? = nil, headers extra: HTTPHeaders = [:]
    ) async throws -> APIResponse {
        var headers = extra
        if let token { headers.bearerAuthorization = .init(token: token) }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed]))
            if headers.contentType == nil { headers.contentType = .json }
        } else if let raw {
            body = ByteBuffer(string: raw)
            if headers.contentType == nil { headers.contentType = .json }
        }
        let response = try await app.client.send(method, headers: headers, to: URI(string: base + path)) { request in
            request.body = body
        }
        let data = response.body.map { Data($0.readableBytesView) } ?? Data()
        return APIResponse(status: response.status, headers: response.headers, body: data)
    }

    func register(_ username: String, password: String = "motdepasse", displayName: String? = nil) async throws
        -> TestUser
    {
        var json: [String: Any] = ["username": username, "password": password]
        if let displayName { json["display_name"] = displayName }
        let response = try await send(.POST, "/api/auth/register", json: json)
        try #require(response.status == .created, "register \(username): \(response.status) \(response.text)")
        let auth = try response.decode(AuthResponse.self)
        return TestUser(id: auth.user.id, username: username, token: auth.token)
    }

    func createPartie(_ mj: TestUser, name: String = "La Campagne") async throws -> PartieResponse {
        let response = try await send(.POST, "/api/parties", token: mj.token, json: ["name": name])
        try #require(response.status == .created, "create partie: \(response.status) \(response.text)")
        return try response.decode()
    }

    func join(_ user: TestUser, _ partie: PartieResponse) async throws {
        let response = try await send(
            .POST, "/api/parties/join", token: user.token,
            json: ["invite_code": try #require(partie.inviteCode)])
        try #require(response.status == .ok, "join partie: \(response.status) \(response.text)")
    }

    func createCharacter(_ user: TestUser, name: String, partieID: Int? = nil) async throws -> CharacterResponse {
        var json: [String: Any] = ["name": name]
        if let partieID { json["partie_id"] = partieID }
        let response = try await send(.POST, "/api/characters", token: user.token, json: json)
        try #require(response.status == .created, "create character: \(response.status) \(response.text)")
        return try response.decode()
    }
}

/// A partie with its MJ, a player who joined it, and an outsider who did not.
struct Table: Sendable {
    let mj: TestUser
    let player: TestUser
    let outsider: TestUser
    let partie: PartieResponse

    static func make(_ api: TestAPI, suffix: String = "") async throws -> Table {
        let tag = suffix.isEmpty ? "" : "-" + String(suffix.prefix(18))
        let mj = try await api.register("marianne" + tag)
        let player = try await api.register("armand" + tag)
        let outsider = try await api.register("oscar" + tag)
        let partie = try await api.createPartie(mj)
        try await api.join(player, partie)
        return Table(mj: mj, player: player, outsider: outsider, partie: partie)
    }
}

extension APIResponse {
    /// The error's reason, for messages of failed expectations.
    var reason: String { error?.reason ?? text }
}
