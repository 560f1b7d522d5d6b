import Foundation
import Logging
import SQLKit
import Testing
import Vapor

@testable import App

@Suite struct OperationsTests {
    @Test(arguments: TestDatabase.enabled)
    func metricsCountRequestsByRoutePatternAndReadTheState(db: TestDatabase) async throws {
        try await withSession(db) { api, table, session in
            _ = try await api.createSession(table, name: "Plus tard")
            for _ in 0..<3 {  // and one more by `session(in:)`
                #expect(try await api.send(.GET, "/api/sessions/\(session.id)", token: table.mj.token).status == .ok)
            }
            #expect(
                try await api.send(.GET, "/api/sessions/\(session.id)", token: table.outsider.token).status == .notFound
            )
            #expect(try await api.send(.GET, "/nulle/part").status == .notFound)
            let live = try await LiveClient.connect(api, session: session.id, token: table.mj.token)
            try await live.waitFor("online") { $0.contains { $0.type == "presence.online" } }
            for line in ["Bonsoir", "On commence"] {
                let posted = try await api.send(
                    .POST, "/api/sessions/\(session.id)/messages", token: table.mj.token, json: ["body": line])
                #expect(posted.status == .created)
            }

            let scrape = try await api.send(.GET, "/metrics")
            #expect(scrape.status == .ok)
            #expect(scrape.headers.contentType?.description.hasPrefix("text/plain") == true)
            let text = scrape.text
            #expect(
                text.contains(#"etrange_http_requests_total{method="GET",route="/api/sessions/:id",status="200"} 4"#),
                "\(text)")
            #expect(
                text.contains(#"etrange_http_requests_total{method="GET",route="/api/sessions/:id",status="404"} 1"#))
            #expect(text.contains(#"route="unmatched",status="404"} 1"#), "unknown paths share one series")
            #expect(!text.contains(session.id.uuidString), "patterns, never concrete paths")
            #expect(
                text.contains(#"etrange_http_request_duration_seconds_count{method="GET",route="/api/sessions/:id"} 5"#)
            )
            #expect(text.contains("etrange_live_connections 1"))
            let published = text.split(separator: "\n").first { $0.hasPrefix("etrange_live_events_published_total ") }
            #expect(
                published.flatMap { Int($0.split(separator: " ").last ?? "") }.map { $0 >= 1 } == true,
                "the MJ's own presence.online at least")
            #expect(text.contains(#"etrange_sessions{status="active"} 1"#))
            #expect(text.contains(#"etrange_sessions{status="scheduled"} 1"#))
            #expect(text.contains(#"etrange_sessions{status="completed"} 0"#))
            #expect(!text.contains(table.mj.token))
            if db == .sqlite {
                #expect(text.contains("etrange_group_commit_transactions 2"), "two lines one after the other")
                #expect(text.contains("etrange_group_commit_changes 2"))
            } else {
                #expect(!text.contains("group_commit"), "PostgreSQL commits each line alone")
            }
            try await live.close()
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func metricsCanWantAToken(db: TestDatabase) async throws {
        try await withApp(db, configure: { $0.metricsToken = "jeton-de-prometheus-assez-long" }) {
            (api: TestAPI) async throws in
            #expect(try await api.send(.GET, "/metrics").status == .unauthorized)
            #expect(try await api.send(.GET, "/metrics", token: "mauvais").status == .unauthorized)
            #expect(try await api.send(.GET, "/metrics", token: "jeton-de-prometheus-assez-long").status == .ok)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func everyAnswerCarriesARequestID(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let generated = try await api.send(.GET, "/health")
            let id = try #require(generated.headers.first(name: .xRequestId))
            #expect(UUID(uuidString: id) != nil)
            let kept = try await api.send(.GET, "/api/me", headers: ["X-Request-Id": "telephone-42.a_b"])
            #expect(kept.status == .unauthorized, "errors carry it too")
            #expect(kept.headers.first(name: .xRequestId) == "telephone-42.a_b")
            let hostile = String(repeating: "x", count: 65)
            for bad in [hostile, "a b", "{\"json\":1}", "é"] {
                let replaced = try await api.send(.GET, "/nulle/part", headers: ["X-Request-Id": bad])
                let answered = try #require(replaced.headers.first(name: .xRequestId))
                #expect(answered != bad && UUID(uuidString: answered) != nil, "\(bad)")
            }
        }
    }

    @Test func jsonLogLinesCarryTheRequestID() throws {
        var handler = JSONLogHandler(label: "codes.vapor.request", level: .info)
        handler[metadataKey: "request-id"] = "abc-123"
        let event = LogEvent(
            level: .info, message: "GET /api/me", metadata: ["status": "401"], source: "App",
            file: "Sources/App/Operations/RequestID.swift", function: "respond", line: 12)
        let data = try #require(handler.line(for: event))
        #expect(data.last == 0x0A, "one object per line")
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["request-id"] as? String == "abc-123")
        #expect(object["msg"] as? String == "GET /api/me")
        #expect(object["level"] as? String == "info")
        #expect(object["status"] as? String == "401")
        #expect(object["source"] as? String == "RequestID.swift:12")
        #expect((object["ts"] as? String)?.hasSuffix("Z") == true)
    }

    /// SQLite's only connection runs in WAL with `synchronous` NORMAL, unless told FULL; both
    /// checked after the server has worked, through the connection its requests use.
    @Test(arguments: [false, true])
    func sqliteCommitsWithoutWaitingForTheDiskUnlessTold(fullSync: Bool) async throws {
        try await withApp(.sqlite, configure: { $0.sqliteFullSync = fullSync }) { api in
            let table = try await Table.make(api)
            for _ in 1...5 { _ = try await api.createSession(table) }
            let sql = api.app.db as! any SQLDatabase
            let synchronous = try await sql.raw("PRAGMA synchronous").first()?.decode(
                column: "synchronous", as: Int.self)
            #expect(synchronous == (fullSync ? 2 : 1))
            let journal = try await sql.raw("PRAGMA journal_mode").first()?.decode(
                column: "journal_mode", as: String.self)
            #expect(journal == "wal")
        }
    }

    /// Every migration goes back and forth on both databases, and the schema it leaves works.
    @Test(arguments: TestDatabase.enabled)
    func migrationsRevertAndRunAgain(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let sql = api.app.db as! any SQLDatabase
            try await api.app.autoRevert()
            let left = try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: "_fluent_migrations")").first()?.decode(
                column: "n", as: Int.self)
            #expect(left == 0)
            try await api.app.autoMigrate()
            let table = try await Table.make(api)
            let session = try await api.session(in: .active, table)
            api.clock.advance(by: 5)
            #expect(
                try await api.send(.POST, "/api/sessions/\(session.id)/presence", token: table.mj.token).status == .ok)
            // What LetHeartbeatsUpdateInPlace leaves: no index on last_seen, and room for HOT updates.
            let sweepIndex: SQLQueryString =
                db == .sqlite
                ? "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'index' AND name = 'idx_session_presence_sweep'"
                : "SELECT COUNT(*) AS n FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'idx_session_presence_sweep'"
            #expect(try await sql.raw(sweepIndex).first()?.decode(column: "n", as: Int.self) == 0)
            if db == .postgres {
                let options = try await sql.raw(
                    """
                    SELECT array_to_string(reloptions, ',') AS options FROM pg_class
                    WHERE oid = to_regclass(current_schema() || '.session_presence')
                    """
                ).first()?.decode(column: "options", as: String?.self)
                #expect(options == "fillfactor=70")
            }
        }
    }
}
