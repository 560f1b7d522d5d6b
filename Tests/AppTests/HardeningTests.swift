import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
import Vapor

@testable import App

/// Keeps every log line the application writes, to look for secrets in them.
final class CapturedLog: LogHandler, @unchecked Sendable {
    let lines = NIOLockedValueBox<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.withLockedValue { $0.append("\(event.level) \(event.message) \(all)") }
    }
}

@Suite struct HardeningTests {
    @Test(arguments: TestDatabase.enabled)
    func aNewPasswordRevokesEveryToken(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let user = try await api.register("prudent", password: "ancien-secret")
            let laptop = try await api.login("prudent", "ancien-secret").decode(AuthResponse.self)
            let wrong = try await api.send(
                .POST, "/api/auth/password", token: user.token,
                json: ["current_password": "faux", "new_password": "nouveau-secret"])
            #expect(wrong.error?.field == "current_password")
            let short = try await api.send(
                .POST, "/api/auth/password", token: user.token,
                json: ["current_password": "ancien-secret", "new_password": "court"])
            #expect(short.error?.field == "new_password")
            let changed = try await api.send(
                .POST, "/api/auth/password", token: user.token,
                json: ["current_password": "ancien-secret", "new_password": "nouveau-secret"])
            #expect(changed.status == .ok)
            let fresh = try changed.decode(AuthResponse.self)
            #expect(try await api.send(.GET, "/api/me", token: user.token).status == .unauthorized)
            #expect(try await api.send(.GET, "/api/me", token: laptop.token).status == .unauthorized)
            #expect(try await api.send(.GET, "/api/me", token: fresh.token).status == .ok)
            #expect(try await api.login("prudent", "ancien-secret").status == .unauthorized)
            #expect(try await api.login("prudent", "nouveau-secret").status == .ok)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func deepOrHugeJSONIsRefusedCleanly(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let user = try await api.register("profond")
            let deep = String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)
            let nested = try await api.send(.POST, "/api/parties", token: user.token, raw: #"{"name": \#(deep)}"#)
            #expect(nested.status == .badRequest)
            let long = try await api.send(
                .POST, "/api/parties", token: user.token, json: ["name": String(repeating: "n", count: 50_000)])
            #expect(long.error?.field == "name")
            let huge = try await api.send(
                .POST, "/api/parties", token: user.token, json: ["name": String(repeating: "n", count: 70_000)])
            #expect(huge.status == .payloadTooLarge)
            #expect(try await api.send(.GET, "/health").decode(HealthResponse.self).database == "ok")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func badValuesAreExplainedInFrench(db: TestDatabase) async throws {
        try await withSession(db) { api, table, session in
            let badID = try await api.send(
                .POST, "/api/sessions/\(session.id)/join", token: table.player.token,
                json: ["character_id": "pas-un-uuid"])
            #expect(badID.status == .badRequest)
            #expect(badID.error?.field == "character_id")
            #expect(badID.reason.contains("doit être un UUID"), "\(badID.reason)")
            let badRole = try await api.send(
                .POST, "/api/sessions/\(session.id)/participants", token: table.mj.token,
                json: ["user_id": table.player.id, "role": "barde"])
            #expect(badRole.error?.field == "role")
            #expect(badRole.reason == "role : valeur non reconnue.", "\(badRole.reason)")
        }
    }

    /// Passwords, hashes and tokens never reach the log at the levels a deployment runs with
    /// (`info` and above; `debug` and `trace` print SQL with its values, for developers only).
    @Test func noSecretInTheLog() async throws {
        let captured = CapturedLog()
        captured.logLevel = .info
        try await withApp(.sqlite) { api in
            api.app.logger = Logger(label: "captured") { _ in captured }
            let user = try await api.register("discret", password: "phrase-secrete-42")
            let login = try await api.login("discret", "phrase-secrete-42").decode(AuthResponse.self)
            _ = try await api.login("discret", "mauvaise-phrase-43")
            _ = try await api.send(.GET, "/api/me", token: login.token)
            _ = try await api.send(.GET, "/api/me", token: "jeton-invente-44")
            let partie = try await api.createPartie(user)
            _ = try await api.upgradeRequest("/api/sessions/\(UUID())/live?token=\(login.token)")
            let feed = try await api.send(.POST, "/api/calendar/feed", token: login.token)
            let feedURL = try #require(feed.object["url"] as? String)
            let feedPath = String(feedURL.dropFirst("http://etrange.test".count))
            #expect(try await api.send(.GET, feedPath).status == .ok)
            _ = try await api.send(.GET, "/invitation/\(partie.inviteCode ?? "-")")
            _ = try await api.send(.POST, "/api/auth/logout", token: user.token)
            let calendarSecret = String(feedPath.dropFirst("/api/calendar/".count).dropLast(".ics".count))
            #expect(
                lines(captured).contains { $0.contains("GET /api/calendar/… 200") }, "the request is logged, masked")
            let stored = try #require(try await User.find(user.id, on: api.db))
            let lines = captured.lines.withLockedValue { $0 }
            #expect(!lines.isEmpty)
            for secret in [
                "phrase-secrete-42", "mauvaise-phrase-43", "jeton-invente-44", user.token, login.token,
                stored.passwordHash, partie.inviteCode ?? "-", calendarSecret,
            ] {
                let leaks = lines.filter { $0.contains(secret) }
                #expect(leaks.isEmpty, "a secret reached the log: \(leaks.prefix(2))")
            }
        }
    }

    private func lines(_ log: CapturedLog) -> [String] { log.lines.withLockedValue { $0 } }
}
