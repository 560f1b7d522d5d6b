import EtrangeDomain
import Fluent
import Foundation
import NIOConcurrencyHelpers
import NIOWebSocket
import Testing
import Vapor

@testable import App

@Suite struct LiveTests {
    /// The whole evening as the MJ's screen sees it: numbered events in order, no gap.
    @Test(arguments: TestDatabase.enabled)
    func eventsOfAFullSession(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let armand = try await api.armand(table)
            let session = try await api.createSession(table)
            try await api.send(
                .PUT, "/api/sessions/\(session.id)", token: table.mj.token, json: ["notes": "Le secret du MJ"])
            let mj = try await LiveClient.connect(api, session: session.id, token: table.mj.token, since: 0)
            try await api.joinSession(session, table.player, character: armand)
            try await api.move(session, .start, table)
            let player = try await LiveClient.connect(api, session: session.id, token: table.player.token)
            try await player.waitFor("own presence") {
                $0.contains { $0.type == "presence.online" && $0.data["user_id"] as? Int == table.player.id }
            }
            try await api.move(session, .pause, table)
            try await api.move(session, .resume, table)
            try await api.move(session, .end, table, json: ["summary": "Fin", "notes": "Encore un secret"])

            let events = try await mj.waitFor("the end") {
                $0.contains { $0.type == "session.status" && $0.data["status"] as? String == "completed" }
            }
            .filter { $0.seq != nil }
            #expect(events.map(\.seq!) == Array(1...events.count))
            let types = events.map(\.type)
            #expect(types.first == "session.updated")
            #expect(types.contains("participant.joined"))
            let statuses = events.filter { $0.type == "session.status" }.map { $0.data["status"] as? String }
            #expect(statuses == ["active", "paused", "active", "completed"])
            // The MJ's own connection made them present as master once the game started.
            #expect(events.contains { $0.type == "presence.online" && $0.data["user_id"] as? Int == table.mj.id })
            for message in mj.received + player.received {
                #expect(!message.text.contains("secret"), "\(message.text)")
            }
            let playerEvents = try await player.waitFor("the end") {
                $0.contains { $0.data["status"] as? String == "completed" }
            }
            .compactMap(\.seq)
            #expect(playerEvents == Array(playerEvents.first!...playerEvents.last!))
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func reconnectingWithSinceMissesNothing(db: TestDatabase) async throws {
        try await withSession(db) { api, table, session in
            let first = try await LiveClient.connect(api, session: session.id, token: table.mj.token, since: 0)
            try await first.waitFor("start") { $0.contains { $0.data["status"] as? String == "active" } }
            let seen = first.events.compactMap(\.seq).max()!
            try await first.close()
            for index in 1...5 {
                try await api.send(
                    .PUT, "/api/sessions/\(session.id)", token: table.mj.token, json: ["name": "Nom \(index)"])
            }
            let second = try await LiveClient.connect(api, session: session.id, token: table.mj.token, since: seen)
            try await api.send(.PUT, "/api/sessions/\(session.id)", token: table.mj.token, json: ["name": "Nom 6"])
            let events = try await second.waitFor("Nom 6") { $0.contains { $0.data["name"] as? String == "Nom 6" } }
                .filter { $0.seq != nil }
            #expect(events.map(\.seq!) == Array((seen + 1)...(seen + events.count)))
            let names = events.compactMap { $0.data["name"] as? String }
            #expect(names == (1...6).map { "Nom \($0)" })
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func refusedBeforeTheUpgrade(db: TestDatabase) async throws {
        try await withSession(db) { api, table, session in
            let path = "/api/sessions/\(session.id)/live"
            #expect(try await api.upgradeRequest(path).status == .unauthorized)
            #expect(try await api.upgradeRequest(path, token: "forged").status == .unauthorized)
            let fresh = table.mj
            #expect(try await api.upgradeRequest(path, token: table.outsider.token).status == .notFound)
            let unseated = try await api.upgradeRequest(path, token: table.player.token)
            #expect(unseated.status == .forbidden)
            #expect(unseated.error?.reason.contains("Rejoignez") == true)
            #expect(try await api.upgradeRequest(path + "?since=-3", token: fresh.token).error?.field == "since")
            #expect(try await api.send(.GET, path, token: fresh.token).status == .upgradeRequired)
            try await api.send(.POST, "/api/sessions/\(session.id)/end", token: fresh.token)
            #expect(try await api.upgradeRequest(path, token: fresh.token).status == .conflict)
            api.clock.advance(by: api.app.config.tokenLifetime + 1)
            let expired = try await api.upgradeRequest(path, token: fresh.token)
            #expect(expired.status == .unauthorized && expired.reason.contains("expiré"))
        }
    }

    /// Every socket of two tables closes at once (a network drop): each player goes offline with
    /// their own event, their time stopped at the instant their socket closed.
    @Test(arguments: TestDatabase.enabled)
    func aWaveOfDisconnectionsIsSettledSessionBySession(db: TestDatabase) async throws {
        // Dozens of accounts from one address: allowances are not what this is about.
        try await withApp(db, configure: { $0.limits.enabled = false }) { api in
            var watchers: [(LiveClient, Table, SessionResponse, [TestUser])] = []
            var sockets: [LiveClient] = []
            for name in ["nord", "sud"] {
                let table = try await Table.make(api, suffix: name)
                let session = try await api.session(in: .active, table)
                var players: [TestUser] = []
                for index in 1...3 {
                    let (player, character) = try await api.newPlayer(table, "\(name)-joueur\(index)")
                    try await api.joinSession(session, player, character: character)
                    try await api.send(.DELETE, "/api/sessions/\(session.id)/presence", token: player.token)
                    players.append(player)
                }
                let watcher = try await LiveClient.connect(api, session: session.id, token: table.mj.token)
                for player in players {
                    sockets.append(try await LiveClient.connect(api, session: session.id, token: player.token))
                }
                let ids = Set(players.map(\.id))
                try await watcher.waitFor("everyone online") { messages in
                    ids.isSubset(
                        of: Set(
                            messages.filter { $0.type == "presence.online" }.compactMap { $0.data["user_id"] as? Int }))
                }
                for player in players {
                    for _ in 0..<500 where await api.app.live.connections(of: player.id, in: session.id) < 1 {
                        try await Task.sleep(for: .milliseconds(10))
                    }
                }
                watchers.append((watcher, table, session, players))
            }
            api.clock.advance(by: 600)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for socket in sockets { group.addTask { try await socket.close() } }
                try await group.waitForAll()
            }
            for (watcher, table, session, players) in watchers {
                let ids = Set(players.map(\.id))
                let events = try await watcher.waitFor("everyone offline") { messages in
                    ids.isSubset(
                        of: Set(
                            messages.filter { $0.type == "presence.offline" }.compactMap { $0.data["user_id"] as? Int })
                    )
                }
                #expect(events.filter { $0.type == "presence.offline" }.count == players.count)
                api.clock.advance(by: 300)
                let participants = try await api.participants(session, as: table.mj).filter { ids.contains($0.userId) }
                #expect(participants.count == 3)
                for participant in participants {
                    #expect(!participant.isOnline && participant.isActive)
                    #expect(
                        participant.totalTimeMinutes == 10, "\(participant.username): \(participant.totalTimeMinutes)")
                }
                #expect(try await api.presence(session, as: table.mj).allSatisfy { !ids.contains($0.userId) })
            }
        }
    }

    /// A phone and a laptop are one presence with two connections.
    @Test(arguments: TestDatabase.enabled)
    func oneUserTwoDevices(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await api.armandPlaying(table).session
            try await api.send(.DELETE, "/api/sessions/\(session.id)/presence", token: table.player.token)
            let watcher = try await LiveClient.connect(api, session: session.id, token: table.mj.token)
            let phone = try await LiveClient.connect(api, session: session.id, token: table.player.token)
            let laptop = try await LiveClient.connect(api, session: session.id, token: table.player.token)
            try await watcher.waitFor("online") {
                $0.contains { $0.type == "presence.online" && $0.data["user_id"] as? Int == table.player.id }
            }
            // The upgrade answers before the hub has taken the socket in: wait until it holds both.
            for _ in 0..<500 where await api.app.live.connections(of: table.player.id, in: session.id) < 2 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(await api.app.live.connections(of: table.player.id, in: session.id) == 2)
            // Waits for the phone's departure to be settled, not for its delay to run out: the
            // presence read after it is the state the departure left.
            let departures = api.app.live.departures
            let settled = departures.settled
            try await phone.close()
            for _ in 0..<500 where departures.settled == settled {
                try await Task.sleep(for: .milliseconds(10))
            }
            try #require(departures.settled > settled, "the phone's departure was never settled")
            #expect(try await api.presence(session, as: table.mj).contains { $0.userId == table.player.id })
            #expect(await api.app.live.connections(of: table.player.id, in: session.id) == 1)
            #expect(laptop.socket?.isClosed == false)
            try await laptop.close()
            try await watcher.waitFor("offline") {
                $0.contains { $0.type == "presence.offline" && $0.data["user_id"] as? Int == table.player.id }
            }
            #expect(!(try await api.presence(session, as: table.mj).contains { $0.userId == table.player.id }))
            let onlineEvents = watcher.events.filter {
                $0.type == "presence.online" && $0.data["user_id"] as? Int == table.player.id
            }
            #expect(onlineEvents.count == 1)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func leavingOrLoggingOutClosesTheChannel(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let (session, armand) = try await api.armandPlaying(table)
            let leaving = try await LiveClient.connect(api, session: session.id, token: table.player.token)
            try await api.send(.POST, "/api/sessions/\(session.id)/leave", token: table.player.token)
            #expect(try await leaving.waitForClose() != nil)

            try await api.joinSession(session, table.player, character: armand)
            let login = try await api.send(
                .POST, "/api/auth/login", json: ["username": table.player.username, "password": "motdepasse"]
            )
            .decode(AuthResponse.self)
            let other = try await LiveClient.connect(api, session: session.id, token: login.token)
            let mine = try await LiveClient.connect(api, session: session.id, token: table.player.token)
            try await api.send(.POST, "/api/auth/logout", token: table.player.token)
            #expect(try await mine.waitForClose() != nil)
            try await other.waitFor("still open") { _ in true }
            #expect(other.socket?.isClosed == false)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func oversizedFramesAndFloodsAreCut(db: TestDatabase) async throws {
        try await withSession(db) { api, table, session in
            let big = try await LiveClient.connect(api, session: session.id, token: table.mj.token)
            big.send(String(repeating: "x", count: LiveController.maxMessageSize + 1))
            #expect(try await big.waitForClose() == .messageTooLarge)

            let flood = try await LiveClient.connect(api, session: session.id, token: table.mj.token)
            for _ in 0..<200 { flood.send(#"{"type":"ping"}"#) }
            #expect(try await flood.waitForClose() == .policyViolation)
            #expect(flood.received.contains { $0.type == "stream.closed" })
        }
    }

    /// A reader that never reads does not hold up the others, and is closed once it falls behind.
    @Test(arguments: TestDatabase.enabled)
    func aStalledClientDelaysNobody(db: TestDatabase) async throws {
        try await withSession(db, configure: { $0.liveQueueLimit = 16 }) { api, table, session in
            let stalled = try await StalledSocket(
                api: api, path: "/api/sessions/\(session.id)/live?token=\(table.mj.token)")
            let fast = try await LiveClient.connect(api, session: session.id, token: table.mj.token)
            // Kernel buffers on loopback absorb megabytes: send more than they hold (450 × 15 kB).
            let description = String(repeating: "€", count: 5000)
            for index in 1...450 {
                try await api.send(
                    .PUT, "/api/sessions/\(session.id)", token: table.mj.token,
                    json: ["name": "Tour \(index)", "description": description])
            }
            let events = try await fast.waitFor("all 450 updates") {
                $0.contains { $0.data["name"] as? String == "Tour 450" }
            }
            .filter { $0.type == "session.updated" }
            #expect(events.count == 450)
            // The stalled reader's connection is gone from the hub, though it never read a byte.
            let deadline = Date().addingTimeInterval(10)
            while await api.app.live.connectionCount > 1, Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(await api.app.live.connectionCount == 1)
            stalled.close()
        }
    }

    /// An instance hears its own notifications through its listener. It skips them, since its
    /// `publish` handed those events out before notifying; another instance's it reads.
    @Test(arguments: TestDatabase.enabled)
    func ownNotificationsAreNotReadTwice(db: TestDatabase) async throws {
        try await withSession(db) { api, table, session in
            let mj = try await LiveClient.connect(api, session: session.id, token: table.mj.token)
            try await mj.waitFor("online") { $0.contains { $0.type == "presence.online" } }
            let hub = api.app.live
            // Journaled without `publish`, as another instance's change would be.
            try await api.app.db.transaction { db in
                try await LiveEvents.record(
                    .sessionUpdated, in: session.id, data: ["name": "Hors bande"], at: Date(), on: db)
            }
            let before = try await api.publishedEvents()
            await PostgresListener.handle(
                "e:\(session.id.uuidString)/\(hub.instanceID.uuidString)", hub: hub, tokens: api.app.tokenCache,
                parties: api.app.partieChanges)
            #expect(try await api.publishedEvents() == before)
            await PostgresListener.handle(
                "e:\(session.id.uuidString)/\(UUID().uuidString)", hub: hub, tokens: api.app.tokenCache,
                parties: api.app.partieChanges)
            #expect(try await api.publishedEvents() == before + 1)
            try await mj.waitFor("the event") { $0.contains { $0.data["name"] as? String == "Hors bande" } }
            try await mj.close()
        }
    }

    /// An instance that stops tells its live sockets to reconnect, then closes its HTTP server,
    /// all while its database still answers: no request can reach a closed database. Vapor closes
    /// the server and the databases in no set order, and such a request crashed the server.
    @Test(arguments: TestDatabase.enabled)
    func stoppingRefusesRequestsBeforeTheDatabaseCloses(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await api.createSession(table)
            try await api.move(session, .start, table)
            let mj = try await LiveClient.connect(api, session: session.id, token: table.mj.token)
            try await mj.waitFor("own presence") { $0.contains { $0.type == "presence.online" } }
            await GracefulStop().shutdownAsync(api.app)
            #expect(try await mj.waitForClose() == .goingAway)
            #expect(mj.received.contains { $0.type == "stream.closed" })
            let port = try #require(URL(string: api.base)?.port)
            #expect(throws: RawSocket.Failure.self) { try RawSocket(port: port) }
            #expect(try await User.query(on: api.app.db).count() == 3)
        }
    }

    /// A client that hangs up closes its connection at once, and its handler runs on: the stop
    /// waits for that handler before anything else closes. Fluent crashed the server when such a
    /// handler asked for a database that had already closed (`Tests/crash`).
    @Test(arguments: TestDatabase.enabled)
    func stoppingWaitsForHandlersWhoseClientLeft(db: TestDatabase) async throws {
        let entered = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let counted = NIOLockedValueBox<Int?>(nil)
        try await withApp(
            db,
            routes: { routes in
                routes.get("test", "held") { req async throws -> HTTPStatus in
                    entered.continuation.yield()
                    for await _ in release.stream { break }
                    let users = try await User.query(on: req.db).count()
                    counted.withLockedValue { $0 = users }
                    return .ok
                }
            }
        ) { api in
            _ = try await Table.make(api)
            let port = try #require(URL(string: api.base)?.port)
            let client = try await RawSocket.offCooperativePool { try RawSocket(port: port) }
            client.write("GET /test/held HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            for await _ in entered.stream { break }
            client.close()

            let stopped = NIOLockedValueBox(false)
            let stop = Task {
                await GracefulStop().shutdownAsync(api.app)
                stopped.withLockedValue { $0 = true }
            }
            let requests = api.app.requestsInFlight
            while !requests.isDraining, !stopped.withLockedValue({ $0 }) {
                try await Task.sleep(for: .milliseconds(1))
            }
            #expect(!stopped.withLockedValue { $0 }, "the stop returned with a handler still running")
            #expect(requests.count == 1)
            release.continuation.yield()
            await stop.value
            #expect(counted.withLockedValue { $0 } == 3)
            #expect(requests.count == 0)
        }
    }
}

extension TestAPI {
    /// Events this instance's hub has read from the journal and handed out, from `/metrics`.
    func publishedEvents() async throws -> Int {
        let text = try await send(.GET, "/metrics").text
        let line = text.split(separator: "\n").first { $0.hasPrefix("etrange_live_events_published_total ") }
        return try #require(line.flatMap { Int($0.split(separator: " ").last ?? "") })
    }
}

/// A WebSocket client that completes the handshake and then never reads again, with a tiny
/// receive buffer, as a phone whose app froze.
final class StalledSocket: Sendable {
    let socket: RawSocket

    init(api: TestAPI, path: String) async throws {
        let port = URL(string: api.base)!.port!
        socket = try await RawSocket.offCooperativePool {
            let socket = try RawSocket(port: port, receiveBuffer: 4096)
            socket.write(
                "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
            return socket
        }
        let status = try await RawSocket.offCooperativePool { [socket] in socket.read(count: 12) }
        try #require(status == "HTTP/1.1 101")
    }

    func close() { socket.close() }
}
