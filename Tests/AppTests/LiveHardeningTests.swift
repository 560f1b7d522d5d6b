import Fluent
import Foundation
import NIOWebSocket
import Testing
import Vapor

@testable import App

/// The live channel's limits: the size of a message however it is cut, the sockets one person
/// may hold, a deleted session's sockets, and the tickets that keep tokens out of URLs.
@Suite struct LiveHardeningTests {
    /// The cap is on the message, not on each frame: small continuation frames do not add up
    /// past it. The server answered `ping` with `pong`; without the cap it assembled the whole.
    @Test(arguments: TestDatabase.enabled)
    func aMessageIsCappedHoweverItIsCut(db: TestDatabase) async throws {
        try await withSession(db) { api, table, session in

            // Sent at once: the server sets its callbacks before it reads the client's first frame.
            let small = try await LiveClient.connect(api, session: session.id, token: table.mj.token)
            small.sendFragments([#"{"type""#, #":"pi"#, #"ng"}"#])
            try await small.waitFor("the pong of a fragmented ping") { $0.contains { $0.type == "pong" } }
            #expect(small.socket?.isClosed == false)

            let big = try await LiveClient.connect(api, session: session.id, token: table.mj.token)
            let frame = String(repeating: "x", count: 1000)
            big.sendFragments([#"{"type":"ping","pad":""#] + Array(repeating: frame, count: 8) + [#""}"#])
            #expect(try await big.waitForClose() == .messageTooLarge)
            #expect(!big.received.contains { $0.type == "pong" })

            let empty = try await LiveClient.connect(api, session: session.id, token: table.mj.token)
            empty.sendFragments([#"{"type":"ping"}"#] + Array(repeating: "", count: MessageSizeLimit.maxFragments))
            #expect(try await empty.waitForClose() == .messageTooLarge)
        }
    }

    /// Beyond the caps the oldest connection gives way, told why; the newest always opens, so a
    /// reloaded page is never locked out.
    @Test(arguments: TestDatabase.enabled)
    func theOldestSocketGivesWayBeyondTheCaps(db: TestDatabase) async throws {
        try await withTable(
            db,
            configure: {
                $0.liveSocketsPerSession = 2
                $0.liveSocketsPerUser = 3
            }
        ) { api, table in
            let first = try await api.createSession(table, name: "Première")
            let second = try await api.createSession(table, name: "Seconde")
            let mj = table.mj

            let a = try await api.openCounted(first.id, mj, expecting: 1)
            let b = try await api.openCounted(first.id, mj, expecting: 2)
            let c = try await LiveClient.connect(api, session: first.id, token: mj.token)
            #expect(try await a.waitForClose() == .policyViolation)
            #expect(a.received.contains { $0.type == "stream.replaced" })

            let d = try await api.openCounted(second.id, mj, expecting: 1)
            let e = try await LiveClient.connect(api, session: second.id, token: mj.token)
            // Four in all for a cap of three: the oldest left, in the other session, goes.
            #expect(try await b.waitForClose() == .policyViolation)
            #expect(b.received.contains { $0.type == "stream.replaced" })
            #expect(try await api.hubHolds(1, of: mj, in: first.id))
            #expect(try await api.hubHolds(2, of: mj, in: second.id))
            for open in [c, d, e] { #expect(open.socket?.isClosed == false) }

            // Someone else's connections are theirs: they count apart.
            let (player, character) = try await api.newPlayer(table, "oceane")
            try #require(try await api.joinSession(first, player, character: character).status == .ok)
            let other = try await api.openCounted(first.id, player, expecting: 1)
            try await Task.sleep(for: .milliseconds(100))
            #expect(c.socket?.isClosed == false && other.socket?.isClosed == false)
        }
    }

    @Test func theCapsComeFromTheEnvironment() throws {
        #expect(AppConfig().liveSocketsPerSession == 5 && AppConfig().liveSocketsPerUser == 20)
        let config = try AppConfig.fromEnvironment([
            "ETRANGE_LIVE_MAX_SOCKETS_PER_SESSION": "3", "ETRANGE_LIVE_MAX_SOCKETS_PER_USER": "9",
        ])
        #expect(config.liveSocketsPerSession == 3 && config.liveSocketsPerUser == 9)
        #expect(throws: (any Error).self) {
            try AppConfig.fromEnvironment(["ETRANGE_LIVE_MAX_SOCKETS_PER_SESSION": "0"])
        }
        #expect(throws: (any Error).self) {
            try AppConfig.fromEnvironment(["ETRANGE_LIVE_MAX_SOCKETS_PER_USER": "beaucoup"])
        }
    }

    /// The MJ and a seated player both hear that the session is gone, then their sockets close.
    @Test(arguments: TestDatabase.enabled)
    func deletingASessionTellsAndClosesItsSockets(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await api.createSession(table)
            let armand = try await api.armand(table)
            try #require(try await api.joinSession(session, table.player, character: armand).status == .ok)
            let mj = try await api.openCounted(session.id, table.mj, expecting: 1)
            let player = try await api.openCounted(session.id, table.player, expecting: 1)
            let elsewhere = try await api.createSession(table, name: "Une autre")
            let bystander = try await api.openCounted(elsewhere.id, table.mj, expecting: 1)

            #expect(
                try await api.send(.DELETE, "/api/sessions/\(session.id)", token: table.mj.token).status == .noContent)
            for socket in [mj, player] {
                #expect(try await socket.waitForClose() == .normalClosure)
                let notice = socket.received.first { $0.type == "session.deleted" }
                #expect(notice?.data["session_id"] as? String == session.id.uuidString)
                #expect(notice?.seq == nil)
            }
            #expect(await api.app.live.connections(of: table.mj.id, in: session.id) == 0)
            #expect(bystander.socket?.isClosed == false)
        }
    }

    /// Another instance deleted the session: its notice (`d:<session>`) closes this one's sockets.
    @Test(arguments: TestDatabase.enabled)
    func aDeletionHeardFromAnotherInstanceClosesTheSockets(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await api.createSession(table)
            let mj = try await api.openCounted(session.id, table.mj, expecting: 1)
            try await Session.query(on: api.db).filter(\.$id == session.id).delete()
            await PostgresListener.handle(
                "d:\(session.id.uuidString)", hub: api.app.live, tokens: api.app.tokenCache,
                parties: api.app.partieChanges)
            #expect(try await mj.waitForClose() == .normalClosure)
            #expect(mj.received.contains { $0.type == "session.deleted" })
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func aTicketOpensTheChannelOnce(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let (session, _) = try await api.armandPlaying(table)
            let response = try await api.send(
                .POST, "/api/sessions/\(session.id)/live-ticket", token: table.player.token)
            #expect(response.status == .created)
            let issued = try response.decode(LiveTicketResponse.self)
            #expect(issued.expiresAt == api.clock.now().addingTimeInterval(LiveTickets.lifetime))
            #expect(!issued.ticket.isEmpty && response.object["expires_at"] is String)

            let player = try await LiveClient.connect(api, session: session.id, ticket: issued.ticket)
            #expect(try await api.hubHolds(1, of: table.player, in: session.id))
            let again = try await api.upgradeRequest("/api/sessions/\(session.id)/live?ticket=\(issued.ticket)")
            #expect(again.status == .unauthorized && again.reason.contains("déjà utilisé"), "\(again.reason)")
            #expect(player.socket?.isClosed == false)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func ticketsHaveAnAllowance(db: TestDatabase) async throws {
        try await withSession(db, configure: { $0.limits.liveTickets.burst = 2 }) { api, table, session in
            let path = "/api/sessions/\(session.id)/live-ticket"
            for _ in 0..<2 { #expect(try await api.send(.POST, path, token: table.mj.token).status == .created) }
            let refused = try await api.send(.POST, path, token: table.mj.token)
            #expect(refused.status == .tooManyRequests && refused.headers.first(name: .retryAfter) != nil)
            api.clock.advance(by: 60)
            #expect(try await api.send(.POST, path, token: table.mj.token).status == .created)
        }
    }

    /// Six requests at once with one ticket: one socket. The conditional `DELETE … RETURNING` is
    /// what two instances on one PostgreSQL rely on as well.
    @Test(arguments: TestDatabase.enabled)
    func aTicketIsSpentOnceUnderARace(db: TestDatabase) async throws {
        try await withSession(db) { api, table, session in
            let ticket = try await api.liveTicket(session.id, table.mj)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await api.upgradeStatus("/api/sessions/\(session.id)/live?ticket=\(ticket)") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.sorted() == [101, 401, 401, 401, 401, 401])
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func anExpiredTicketIsRefused(db: TestDatabase) async throws {
        try await withSession(db) { api, table, session in
            let ticket = try await api.liveTicket(session.id, table.mj)
            api.clock.advance(by: LiveTickets.lifetime + 1)
            let late = try await api.upgradeRequest("/api/sessions/\(session.id)/live?ticket=\(ticket)")
            #expect(late.status == .unauthorized && late.reason.contains("expiré"), "\(late.reason)")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func aTicketOpensOnlyItsOwnSession(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let mine = try await api.createSession(table, name: "La sienne")
            let other = try await api.createSession(table, name: "Une autre")
            let ticket = try await api.liveTicket(mine.id, table.mj)
            let wrong = try await api.upgradeRequest("/api/sessions/\(other.id)/live?ticket=\(ticket)")
            #expect(wrong.status == .unauthorized)
            // Not spent by the wrong door: its own session still takes it.
            #expect(try await api.upgradeStatus("/api/sessions/\(mine.id)/live?ticket=\(ticket)") == 101)
        }
    }

    /// A ticket is worth no more than the token it was asked with: a logout ends both.
    @Test(arguments: TestDatabase.enabled)
    func aTicketDiesWithItsToken(db: TestDatabase) async throws {
        try await withSession(db) { api, table, session in
            let ticket = try await api.liveTicket(session.id, table.mj)
            #expect(try await api.send(.POST, "/api/auth/logout", token: table.mj.token).status == .noContent)
            #expect(
                try await api.upgradeRequest("/api/sessions/\(session.id)/live?ticket=\(ticket)").status
                    == .unauthorized)
        }
    }

    /// The migration goes back and forth; tickets work again afterwards.
    @Test(arguments: TestDatabase.enabled)
    func theTicketsMigrationReverts(db: TestDatabase) async throws {
        try await withSession(db) { api, table, session in
            try await CreateLiveTickets().revert(on: api.db)
            try await CreateLiveTickets().prepare(on: api.db)
            let ticket = try await api.liveTicket(session.id, table.mj)
            #expect(try await api.upgradeStatus("/api/sessions/\(session.id)/live?ticket=\(ticket)") == 101)
        }
    }

    /// A ticket is refused to whoever the channel refuses, with the same answers.
    @Test(arguments: TestDatabase.enabled)
    func aTicketNeedsWhatTheChannelNeeds(db: TestDatabase) async throws {
        try await withSession(db) { api, table, session in
            let path = "/api/sessions/\(session.id)/live-ticket"
            let unseated = try await api.send(.POST, path, token: table.player.token)
            #expect(unseated.status == .forbidden && unseated.reason.contains("Rejoignez"))
            #expect(try await api.send(.POST, path, token: table.outsider.token).status == .notFound)
            #expect(try await api.send(.POST, path).status == .unauthorized)
            try await api.move(session, .end, table)
            #expect(try await api.send(.POST, path, token: table.mj.token).status == .conflict)
            #expect(
                try await api.upgradeRequest("/api/sessions/\(session.id)/live?ticket=forged").status == .unauthorized)
        }
    }
}

/// Two instances on one PostgreSQL, as in production behind a load balancer: a ticket is spent
/// once whichever of them it is shown to, and a deletion made on one closes the other's sockets
/// through `NOTIFY`.
@Suite(.enabled(if: TestDatabase.postgresURL != nil, "needs ETRANGE_TEST_POSTGRES_URL"))
struct LiveTwoInstancesTests {
    @Test func ticketsAndDeletionsHoldAcrossInstances() async throws {
        try await withApp(.postgres) { first in
            try await first.withSecondInstance { second in
                let table = try await Table.make(first)
                let session = try await first.session(in: .active, table)
                let ticket = try await first.liveTicket(session.id, table.mj)
                let path = "/api/sessions/\(session.id)/live?ticket=\(ticket)"
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<6 {
                        let api = index.isMultiple(of: 2) ? first : second
                        group.addTask { try await api.upgradeStatus(path) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.sorted() == [101, 401, 401, 401, 401, 401])

                let scheduled = try await first.createSession(table, name: "Plus tard")
                let there = try await second.openCounted(scheduled.id, table.mj, expecting: 1)
                #expect(
                    try await first.send(.DELETE, "/api/sessions/\(scheduled.id)", token: table.mj.token).status
                        == .noContent)
                #expect(try await there.waitForClose() == .normalClosure)
                #expect(there.received.contains { $0.type == "session.deleted" })
            }
        }
    }

    /// Two servers on one database, each in its own schema, count their parties and people from
    /// the same numbers. A notification reaches the whole database: on one channel, a member
    /// removed from partie 1 over there closed the sockets of this partie 1's member (CI, stop 34).
    @Test func aServerInAnotherSchemaIsNotHeard() async throws {
        try await withApp(.postgres, boot: true) { here in
            try await withApp(.postgres) { there in
                #expect(here.app.config.databaseSchema != there.app.config.databaseSchema)
                let table = try await Table.make(here)
                let twin = try await Table.make(there)
                try #require(table.partie.id == twin.partie.id && table.player.id == twin.player.id)
                let session = try await here.armandPlaying(table).session
                let player = try await here.openCounted(session.id, table.player, expecting: 1)

                // Two events written as another instance of this server would, each announced until
                // this one's listener hands it over: the first shows that it listens, the second
                // that what came between was heard, if it was.
                for count in 1...2 {
                    try await here.recordElsewhere(.presenceIdle, in: session.id, about: table.player)
                    try await here.pokeUntil(session.id) {
                        player.events.filter { $0.type == "presence.idle" }.count == count
                    }
                    if count == 1 {
                        let left = try await there.send(
                            .DELETE, "/api/parties/\(twin.partie.id)/members/me", token: twin.player.token)
                        #expect(left.status == .noContent)
                    }
                }
                #expect(!player.received.contains { $0.type == "stream.closed" })
                #expect(await here.app.live.connections(of: table.player.id, in: session.id) == 1)
            }
        }
    }
}

extension TestAPI {
    /// Journals an event as another instance would, without telling this one's hub.
    func recordElsewhere(_ type: LiveEventType, in session: UUID, about user: TestUser) async throws {
        let person = PersonEventData(
            userId: user.id, username: user.username, displayName: nil, characterId: nil, characterName: nil,
            role: nil)
        try await app.db.transaction { db in
            _ = try await LiveEvents.record(type, in: session, data: person, at: clock.now(), on: db)
        }
    }

    /// Announces the session's news on this schema's channel, as another instance does, until
    /// `arrived` holds: the listener may not be listening yet. Fails the test after ten seconds.
    func pokeUntil(_ session: UUID, _ arrived: () -> Bool) async throws {
        let elsewhere = "e:\(session.uuidString)/\(UUID().uuidString)"
        for _ in 0..<500 {
            try await app.db.sql.raw("SELECT pg_notify(\(unsafeRaw: LiveEvents.channel), \(bind: elsewhere))").run()
            if arrived() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting for the listener")
    }

    /// Another instance of the server on this one's database (and clock), booted so that its
    /// PostgreSQL listener runs; stopped afterwards.
    func withSecondInstance<T>(_ body: (TestAPI) async throws -> T) async throws -> T {
        let other = try await Application.make(.testing)
        other.clock = clock
        let result: Result<T, any Error>
        do {
            try await configure(other, config: app.config)
            try await other.asyncBoot()
            try await other.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(other.http.server.shared.localAddress?.port)
            result = .success(
                try await body(TestAPI(app: other, clock: clock, base: "http://127.0.0.1:\(port)", database: database)))
        } catch {
            result = .failure(error)
        }
        await other.live.shutdown()
        await other.server.shutdown()
        try await other.asyncShutdown()
        return try result.get()
    }

    func liveTicket(_ session: UUID, _ user: TestUser) async throws -> String {
        let response = try await send(.POST, "/api/sessions/\(session)/live-ticket", token: user.token)
        try #require(response.status == .created, "live-ticket: \(response.status) \(response.text)")
        return try response.decode(LiveTicketResponse.self).ticket
    }

    /// Opens a socket and waits until the hub holds `count` of the user's in that session: the
    /// upgrade answers before the hub has taken the socket in, and the caps go by that order.
    func openCounted(_ session: UUID, _ user: TestUser, expecting count: Int) async throws -> LiveClient {
        let client = try await LiveClient.connect(self, session: session, token: user.token)
        try #require(try await hubHolds(count, of: user, in: session))
        return client
    }

    /// Whether the hub comes to hold exactly `count` of the user's sockets to the session within
    /// five seconds: sockets come in after their upgrade, and leave once their closing is done.
    func hubHolds(_ count: Int, of user: TestUser, in session: UUID) async throws -> Bool {
        for _ in 0..<500 {
            if await app.live.connections(of: user.id, in: session) == count { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}
