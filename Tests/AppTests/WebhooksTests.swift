import Crypto
import EtrangeDomain
import Foundation
import Testing
import Vapor

@testable import App

@Suite struct WebhooksTests {
    private func configure(_ api: TestAPI, _ table: Table, _ receiver: Receiver, format: String = "json") async throws
        -> String
    {
        let response = try await api.send(
            .PUT, "/api/parties/\(table.partie.id)/webhook", token: table.mj.token,
            json: ["url": receiver.url, "format": format])
        try #require(response.status == .ok, "\(response.text)")
        return try #require(response.object["secret"] as? String)
    }

    /// A receiver, and the usual table whose partie sends it its webhooks in `format`, with the
    /// secret they are signed with: the receiver listens on loopback, which the server may reach here.
    private func withHook(
        _ db: TestDatabase, format: String = "json", configure adjust: (inout AppConfig) -> Void = { _ in },
        _ body: (TestAPI, Table, Receiver, _ secret: String) async throws -> Void
    ) async throws {
        try await withReceiver { receiver in
            try await withTable(
                db,
                configure: {
                    $0.webhooksMayReachPrivateAddresses = true
                    adjust(&$0)
                }
            ) { api, table in
                try await body(api, table, receiver, try await configure(api, table, receiver, format: format))
            }
        }
    }

    private func deliveries(_ api: TestAPI, _ table: Table) async throws -> [[String: Any]] {
        let response = try await api.send(
            .GET, "/api/parties/\(table.partie.id)/webhook/deliveries", token: table.mj.token)
        try #require(response.status == .ok, "\(response.text)")
        return try #require(try JSONSerialization.jsonObject(with: response.body) as? [[String: Any]])
    }

    @Test(arguments: TestDatabase.enabled)
    func sessionsAreAnnouncedSignedOncePerChange(db: TestDatabase) async throws {
        try await withHook(db) { api, table, receiver, secret in
            #expect(secret.count == 64)

            let session = try await api.createSession(
                table, name: "Le manoir", extra: ["scheduled_date": "2025-02-07T19:30:00Z"])
            _ = try await api.createSession(table, name: "Sans date, pas d'annonce")
            try #require(
                try await api.send(
                    .PUT, "/api/sessions/\(session.id)", token: table.mj.token,
                    json: ["scheduled_date": "2025-02-08T19:30:00Z"]
                ).status == .ok)
            try #require(
                try await api.send(
                    .PUT, "/api/sessions/\(session.id)", token: table.mj.token,
                    json: ["summary": "rien qui change la date"]
                ).status == .ok)
            try #require(try await api.move(session, .start, table).status == .ok)
            try #require(try await api.move(session, .pause, table).status == .ok)
            try #require(try await api.move(session, .resume, table).status == .ok)
            try #require(try await api.move(session, .end, table).status == .ok)
            let later = try await api.createSession(
                table, name: "Plus tard", extra: ["scheduled_date": "2025-03-01T19:30:00Z"])
            try #require(try await api.move(later, .cancel, table).status == .ok)

            let calls = try await receiver.waitFor(5, poke: api)
            let events = calls.compactMap { $0.headers.first(name: "X-Etrange-Event") }
            #expect(
                events.sorted() == [
                    "session.cancelled", "session.rescheduled", "session.scheduled", "session.scheduled",
                    "session.started",
                ],
                "only scheduling, starts and cancellations: \(events)")
            for call in calls {
                let expected =
                    "sha256="
                    + HMAC<SHA256>.authenticationCode(
                        for: Data(call.body.utf8), using: SymmetricKey(data: Data(secret.utf8))
                    ).map { String(format: "%02x", $0) }.joined()
                #expect(call.headers.first(name: "X-Etrange-Signature") == expected)
                #expect(call.headers.contentType == .json)
                let payload = try #require(
                    try JSONSerialization.jsonObject(with: Data(call.body.utf8)) as? [String: Any])
                #expect(payload["event"] as? String == call.headers.first(name: "X-Etrange-Event"))
                #expect(payload["delivery_id"] as? String == call.headers.first(name: "X-Etrange-Delivery"))
                #expect((payload["partie"] as? [String: Any])?["name"] as? String == "La Campagne")
            }
            let rescheduled = try #require(
                calls.first { $0.headers.first(name: "X-Etrange-Event") == "session.rescheduled" })
            #expect(rescheduled.body.contains("\"scheduled_date\":\"2025-02-08T19:30:00Z\""))
            await WebhookDispatcher.deliverDue(api.app)
            #expect(receiver.received.count == 5, "no duplicate")
            #expect(try await deliveries(api, table).allSatisfy { $0["status"] as? String == "delivered" })
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func failuresAreRetriedWithBackoffThenGivenUp(db: TestDatabase) async throws {
        try await withHook(db, format: "discord") { api, table, receiver, _ in
            receiver.answer(.internalServerError, .tooManyRequests)
            let session = try await api.createSession(
                table, name: "Le manoir", extra: ["scheduled_date": "2025-02-07T19:30:00Z"])
            _ = try await receiver.waitFor(1, poke: api)
            var delivery = try #require(try await deliveries(api, table).first)
            #expect(delivery["status"] as? String == "pending")
            #expect(delivery["attempts"] as? Int == 1)
            #expect(delivery["last_status_code"] as? Int == 500)
            #expect(
                delivery["next_attempt_at"] as? String == "2025-01-20T20:00:10Z", "10 s after the first failure")

            // Not due yet: nothing is sent until the clock reaches the retry.
            await WebhookDispatcher.deliverDue(api.app)
            #expect(receiver.received.count == 1)
            api.clock.advance(by: 10)
            _ = try await receiver.waitFor(2, poke: api)
            delivery = try #require(try await deliveries(api, table).first)
            #expect(delivery["next_attempt_at"] as? String == "2025-01-20T20:00:50Z", "then 40 s")
            api.clock.advance(by: 40)
            let calls = try await receiver.waitFor(3, poke: api)
            delivery = try #require(try await deliveries(api, table).first)
            #expect(delivery["status"] as? String == "delivered")
            #expect(delivery["attempts"] as? Int == 3)
            #expect(Set(calls.map(\.body)).count == 1, "every attempt sends the same signed body")
            let first = try #require(calls.first)
            let discord = try #require(
                try JSONSerialization.jsonObject(with: Data(first.body.utf8)) as? [String: Any])
            #expect((discord["content"] as? String)?.contains("Nouvelle session « Le manoir »") == true)
            #expect((discord["content"] as? String)?.contains("<t:1738956600:F>") == true)

            // A refusal (4xx) is final.
            receiver.answer(.gone)
            try #require(try await api.move(session, .cancel, table).status == .ok)
            _ = try await receiver.waitFor(4, poke: api)
            let refused = try #require(try await deliveries(api, table).first)
            #expect(refused["event"] as? String == "session.cancelled")
            #expect(refused["status"] as? String == "failed")
            #expect(refused["attempts"] as? Int == 1)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func dispatchersRacingSendEachDeliveryOnce(db: TestDatabase) async throws {
        try await withHook(db, configure: { $0.limits.webhookTests.burst = 12 }) { api, table, receiver, _ in
            for index in 0..<12 {
                try #require(
                    try await api.send(.POST, "/api/parties/\(table.partie.id)/webhook/test", token: table.mj.token)
                        .status == .accepted,
                    "test \(index)")
            }
            // Six passes at once, as six instances would: each delivery is claimed by one.
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<6 { group.addTask { await WebhookDispatcher.deliverDue(api.app) } }
            }
            await WebhookDispatcher.deliverDue(api.app)
            let ids = receiver.received.compactMap { $0.headers.first(name: "X-Etrange-Delivery") }
            #expect(ids.count == 12, "every delivery sent")
            #expect(Set(ids).count == 12, "none twice")
            let listed = try await deliveries(api, table)
            #expect(
                listed.count == 12
                    && listed.allSatisfy { $0["status"] as? String == "delivered" && $0["attempts"] as? Int == 1 })
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func discordMessagesPingNobody(db: TestDatabase) async throws {
        try await withReceiver { receiver in
            try await withTable(db, configure: { $0.webhooksMayReachPrivateAddresses = true }) { api, table in
                _ = try await configure(api, table, receiver, format: "discord")
                _ = try await api.createSession(
                    table, name: "@everyone ce soir", extra: ["scheduled_date": "2025-02-07T19:30:00Z"])
                let call = try #require(try await receiver.waitFor(1, poke: api).first)
                let body = try #require(try JSONSerialization.jsonObject(with: Data(call.body.utf8)) as? [String: Any])
                #expect((body["content"] as? String)?.contains("@everyone ce soir") == true)
                // Discord pings what `parse` lists: an empty list keeps « @everyone » plain text.
                let mentions = try #require(body["allowed_mentions"] as? [String: Any], "\(call.body)")
                #expect((mentions["parse"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func deliveryOffKeepsThemQueued(db: TestDatabase) async throws {
        try await withHook(db, configure: { $0.webhookDelivery = false }) { api, table, receiver, _ in
            try await api.app.webhooks.didBootAsync(api.app)
            // Booted with delivery off, the dispatcher runs no loop: nothing ever reads the
            // queue, however often it is poked (LifecycleTests sees the loop run when on).
            #expect(!api.app.webhooks.isRunning)
            _ = try await api.createSession(
                table, name: "Le manoir", extra: ["scheduled_date": "2025-02-07T19:30:00Z"])
            api.app.webhooks.poke()
            #expect(receiver.received.isEmpty)
            #expect(try await deliveries(api, table).map { $0["status"] as? String } == ["pending"])
            await api.app.webhooks.shutdownAsync(api.app)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func aSlowReceiverNeverHoldsTheRequest(db: TestDatabase) async throws {
        try await withHook(db) { api, table, receiver, _ in
            // The dispatcher's own loop, as `serve` runs it.
            try await api.app.webhooks.didBootAsync(api.app)
            let gate = receiver.app.eventLoopGroup.any().makePromise(of: Void.self)
            receiver.gate.withLockedValue { $0 = gate }
            let session = try await api.session(in: .scheduled, table)
            let started = try await api.move(session, .start, table)
            #expect(started.status == .ok, "answered while the receiver still holds the webhook")
            #expect(receiver.received.isEmpty)
            receiver.gate.withLockedValue { $0 = nil }
            gate.succeed()
            for _ in 0..<200 where receiver.received.isEmpty {
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(receiver.received.first?.headers.first(name: "X-Etrange-Event") == "session.started")
            await api.app.webhooks.shutdownAsync(api.app)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func onlyTheMJConfiguresAndBadAddressesAreRefused(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let path = "/api/parties/\(table.partie.id)/webhook"
            let good = ["url": "https://discord.com/api/webhooks/1/abc"]
            #expect(try await api.send(.GET, path, token: table.mj.token).status == .notFound, "none yet")
            #expect(try await api.send(.PUT, path, token: table.player.token, json: good).status == .forbidden)
            #expect(try await api.send(.GET, path, token: table.player.token).status == .forbidden)
            #expect(try await api.send(.PUT, path, token: table.outsider.token, json: good).status == .notFound)
            #expect(try await api.send(.PUT, path, json: good).status == .unauthorized)
            for url in [
                "ftp://example.com/x", "pas une adresse", "http://127.0.0.1:9/x", "http://localhost/x",
                "http://10.1.2.3/x", "http://[::1]/x", "http://192.168.1.10/x", "http://169.254.169.254/latest",
            ] {
                let refused = try await api.send(.PUT, path, token: table.mj.token, json: ["url": url])
                #expect(refused.status == .badRequest, "\(url)")
                #expect(refused.error?.field == "url")
            }
            #expect(
                try await api.send(.PUT, path, token: table.mj.token, json: ["url": good["url"]!, "format": "xml"])
                    .error?.field == "format")
            #expect(
                try await api.send(
                    .PUT, path, token: table.mj.token, json: ["url": good["url"]!, "events": ["session.ended"]]
                ).error?.field == "events")
            #expect(
                try await api.send(.PUT, path, token: table.mj.token, json: ["url": good["url"]!, "events": []]).error?
                    .field == "events")

            let created = try await api.send(
                .PUT, path, token: table.mj.token, json: ["url": good["url"]!, "events": ["session.started"]])
            #expect(created.status == .ok)
            let secret = try #require(created.object["secret"] as? String)
            let shown = try await api.send(.GET, path, token: table.mj.token)
            #expect(shown.object["secret"] == nil, "the secret is shown once")
            #expect(shown.object["events"] as? [String] == ["session.started"])
            let kept = try await api.send(.PUT, path, token: table.mj.token, json: good)
            #expect(kept.object["secret"] == nil)
            let rotated = try await api.send(
                .PUT, path, token: table.mj.token, json: ["url": good["url"]!, "rotate_secret": true])
            #expect((rotated.object["secret"] as? String).map { $0 != secret } == true)
            #expect(try await api.send(.DELETE, path, token: table.player.token).status == .forbidden)
            #expect(try await api.send(.DELETE, path, token: table.mj.token).status == .noContent)
            #expect(try await api.send(.GET, path, token: table.mj.token).status == .notFound)
        }
    }
}
