import EtrangeDomain
import Fluent
import Foundation
import Logging
import SQLKit
import SQLiteStatementCache
import Testing
import Vapor

@testable import App

/// The paths rewritten for speed (issue #9) answer exactly what the general paths answer, and the
/// token cache never outlives a revocation or an expiry.
@Suite struct HotPathTests {
    @Test func tokenCacheTrustsAnEntryAMinuteAtMostAndNeverPastExpiry() throws {
        let cache = TokenCache()
        let user = User()
        let caller = Caller(user: user, userID: 7, tokenID: UUID())
        cache.store(caller, digest: "d", expiresAt: pinnedStart.addingTimeInterval(3600), now: pinnedStart)
        #expect(cache.caller(digest: "d", now: pinnedStart.addingTimeInterval(59))?.tokenID == caller.tokenID)
        #expect(cache.caller(digest: "other", now: pinnedStart) == nil)
        #expect(cache.caller(digest: "d", now: pinnedStart.addingTimeInterval(TokenCache.lifetime)) == nil)
        // Dropped, not only skipped: verified again, it is kept again.
        cache.store(caller, digest: "d", expiresAt: pinnedStart.addingTimeInterval(30), now: pinnedStart)
        #expect(cache.caller(digest: "d", now: pinnedStart.addingTimeInterval(29)) != nil)
        #expect(cache.caller(digest: "d", now: pinnedStart.addingTimeInterval(30)) == nil)
        // A clock set back does not make an old entry young.
        cache.store(caller, digest: "d", expiresAt: pinnedStart.addingTimeInterval(3600), now: pinnedStart)
        #expect(cache.caller(digest: "d", now: pinnedStart.addingTimeInterval(-120)) == nil)
        cache.store(caller, digest: "d", expiresAt: pinnedStart.addingTimeInterval(3600), now: pinnedStart)
        cache.revoke(tokenID: caller.tokenID)
        #expect(cache.caller(digest: "d", now: pinnedStart) == nil)
        cache.store(caller, digest: "d", expiresAt: pinnedStart.addingTimeInterval(3600), now: pinnedStart)
        cache.removeAll()
        #expect(cache.caller(digest: "d", now: pinnedStart) == nil)
    }

    @Test(arguments: TestDatabase.enabled)
    func revokedTokensAreRefusedAtOnceThoughCached(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let user = try await api.register("celeste")
            let second = try await api.login("celeste", "motdepasse")
                .decode(AuthResponse.self).token
            for token in [user.token, second] {
                #expect(try await api.send(.GET, "/api/me", token: token).status == .ok)
            }
            #expect(try await api.send(.POST, "/api/auth/logout", token: user.token).status == .noContent)
            #expect(try await api.send(.GET, "/api/me", token: user.token).status == .unauthorized)
            let changed = try await api.send(
                .POST, "/api/auth/password", token: second,
                json: ["current_password": "motdepasse", "new_password": "autre-secret-solide"])
            #expect(changed.status == .ok)
            #expect(try await api.send(.GET, "/api/me", token: second).status == .unauthorized)
            #expect(
                try await api.send(.GET, "/api/me", token: try changed.decode(AuthResponse.self).token).status == .ok)
            // A cached token still expires on time.
            let third = try await api.login("celeste", "autre-secret-solide")
                .decode(AuthResponse.self)
            #expect(try await api.send(.GET, "/api/me", token: third.token).status == .ok)
            api.clock.set(third.expiresAt)
            #expect(try await api.send(.GET, "/api/me", token: third.token).status == .unauthorized)
        }
    }

    /// A token removed without this instance hearing of it (another instance's logout while the
    /// notification was lost) works at most `TokenCache.lifetime` longer.
    @Test(arguments: TestDatabase.enabled)
    func aTokenDeletedBehindTheCacheStopsWithinItsLifetime(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let user = try await api.register("discrete")
            #expect(try await api.send(.GET, "/api/me", token: user.token).status == .ok)
            try await UserToken.query(on: api.db).filter(\.$user.$id == user.id).delete()
            api.clock.advance(by: TokenCache.lifetime)
            #expect(try await api.send(.GET, "/api/me", token: user.token).status == .unauthorized)
        }
    }

    /// SQLite numbers `$n` parameters in the order they first appear, PostgreSQL by their digits:
    /// both agree only if every statement names them 1, 2, 3… the first time, and binds as many.
    @Test func hotStatementsNameTheirParametersInOrder() throws {
        let statements: [any HotStatement] = [
            FirstSessionPage(callerID: 1, partieID: 1, status: nil, per: 20, at: pinnedStart),
            LaterSessionPage(callerID: 1, partieID: 1, status: nil, per: 20, offset: 20, at: pinnedStart),
            SessionByID(callerID: 1, sessionID: UUID(), at: pinnedStart),
            RSVPCountsOfPartie(callerID: 1, partieID: 1),
            RSVPCountsOfSession(callerID: 1, sessionID: UUID()),
            AccessStatement(callerID: 1, sessionID: UUID()),
            OnlineStatement(callerID: 1, sessionID: UUID()),
            TouchStatement(1, in: UUID(), active: true, at: pinnedStart),
            WriterStatement(1, in: UUID()),
            WriterStateStatement(1, in: UUID()),
            JournalStatement(UUID(), after: 0, limit: 100),
            PersonStatement(userID: 1, characterID: nil),
            NextSeqStatement(in: UUID()),
            ChatLineStatement(
                .text, body: "Bonsoir", by: nil, scope: .public, drawID: nil, pinned: false, in: UUID(), at: pinnedStart
            ),
            JournalEntryStatement(
                .chatMessage, id: UUID(), in: UUID(), seq: 1, text: "{}", at: pinnedStart, visibility: .all,
                recipientID: nil, messageID: nil),
            SpendFiguresStatement([.jack, .king], of: UUID()),
            JournalCounterStatement(in: UUID()),
            SetJournalCounterStatement(3, in: UUID()),
            ActiveStatement(1, in: UUID(), at: pinnedStart),
            RecipientStatement(message: 1, user: 2),
            AudienceStatement(event: UUID(), user: 2),
            PostgresEventStatement(
                .chatMessage, id: UUID(), in: UUID(), text: "{}", at: pinnedStart, visibility: .mj, recipientID: nil,
                messageID: nil, audience: [2, 3]),
            NotifyStatement("p:1"),
            PublishStatement("e:1"),
        ]
        for statement in statements {
            #expect(statement.isWellFormed, "\(type(of: statement))")
        }
        // The check itself refuses what SQLite would bind the wrong way round, too few values, `*`,
        // and a bare `LIMIT $n`, which SQLite compiles twice.
        #expect(!Backwards().isWellFormed)
        #expect(!Short().isWellFormed)
        #expect(!Star().isWellFormed)
        #expect(!BareLimit().isWellFormed)
    }

    struct Backwards: HotStatement {
        static let sql = "SELECT id FROM sessions WHERE partie_id = $2 AND status = $1"
        let binds: [HotBind] = [.text("active"), .int(1)]
    }

    struct Short: HotStatement {
        static let sql = "SELECT id FROM sessions WHERE partie_id = $1 AND status = $2"
        let binds: [HotBind] = [.int(1)]
    }

    struct BareLimit: HotStatement {
        static let sql = "SELECT id FROM sessions WHERE partie_id = $1 LIMIT $2"
        let binds: [HotBind] = [.int(1), .int(20)]
    }

    struct Star: HotStatement {
        static let sql = "SELECT s.* FROM sessions s WHERE s.partie_id = $1"
        let binds: [HotBind] = [.int(1)]
    }

    /// On PostgreSQL each hot statement is parsed once per connection and, after PostgreSQL's five
    /// trial runs, no longer planned: the server's own view of the connection's prepared
    /// statements shows each under one name, with a generic plan in use. Their answers are the
    /// endpoints' answers, and nothing for a stranger.
    @Test(arguments: TestDatabase.enabled.filter { $0 == .postgres })
    func hotStatementsArePreparedAndPlannedOncePerConnection(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await api.armandPlaying(table).session
            let player = table.player.id
            let (read, online) = try await api.db.transaction { db in
                for _ in 1...7 {
                    _ = try await db.all(SessionByID(callerID: player, sessionID: session.id, at: pinnedStart))
                    _ = try await db.all(
                        FirstSessionPage(
                            callerID: player, partieID: table.partie.id, status: nil, per: 20, at: pinnedStart))
                    _ = try await db.all(AccessStatement(callerID: player, sessionID: session.id))
                    _ = try await db.all(OnlineStatement(callerID: player, sessionID: session.id))
                    _ = try await db.all(TouchStatement(player, in: session.id, active: false, at: pinnedStart))
                    _ = try await db.all(WriterStatement(player, in: session.id))
                    _ = try await db.all(JournalStatement(session.id, after: 0, limit: 100))
                }
                let prepared = try await (db as! any SQLDatabase).raw(
                    """
                    SELECT name, generic_plans FROM pg_prepared_statements ORDER BY name
                    """
                ).all()
                // The connection may have served requests before, with statements of their own.
                let exercised = [
                    AccessStatement.name, FirstSessionPage.name, OnlineStatement.name,
                    SessionByID.name, TouchStatement.name, WriterStatement.name, JournalStatement.name,
                ]
                let plans = try Dictionary(
                    uniqueKeysWithValues: prepared.map {
                        (
                            try $0.decode(column: "name", as: String.self),
                            try $0.decode(column: "generic_plans", as: Int.self)
                        )
                    })
                for name in exercised {
                    #expect((plans[name] ?? 0) > 0, "\(name): \(plans)")
                }
                return (
                    try await db.first(SessionByID(callerID: player, sessionID: session.id, at: pinnedStart)).map {
                        try SessionResponse(row: $0, callerID: player, now: pinnedStart)
                    }, try await db.all(OnlineStatement(callerID: player, sessionID: session.id)).count
                )
            }
            let served = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.player.token).decode(
                SessionResponse.self)
            #expect(read?.id == served.id && read?.seatedPlayers == 1 && read?.isMj == false && read?.notes == nil)
            #expect(online == 1)
            #expect(
                try await api.db.first(SessionByID(callerID: table.outsider.id, sessionID: session.id, at: pinnedStart))
                    == nil)
            #expect(try await api.db.all(OnlineStatement(callerID: table.outsider.id, sessionID: session.id)).isEmpty)
        }
    }

    /// A token the cache does not hold is found through the unique index on its digest, bound as
    /// the sign-in path binds it. With sequential scans forbidden, a plan that cannot use the index
    /// still shows a scan of the whole table: the case of the `char(64)` column on PostgreSQL.
    @Test(arguments: TestDatabase.enabled)
    func aTokenIsFoundThroughItsIndex(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let digest = UserToken.digest("jeton")
            let (plan, search) = try await api.db.transaction { db in
                let sql = db as! any SQLDatabase
                switch api.database {
                case .postgres:
                    try await sql.raw("SET LOCAL enable_seqscan = off").run()
                    return (
                        try await sql.raw(
                            """
                            EXPLAIN SELECT id FROM \(ident: UserToken.schema) WHERE token_hash = \(bind: digest)
                            """
                        ).all().map { try $0.decode(column: "QUERY PLAN", as: String.self) },
                        "Index Scan using uq_user_tokens_hash"
                    )
                case .sqlite:
                    // SQLite names the index of a UNIQUE constraint itself.
                    return (
                        try await sql.raw(
                            """
                            EXPLAIN QUERY PLAN SELECT id FROM \(ident: UserToken.schema) WHERE token_hash = \(bind: digest)
                            """
                        ).all().map { try $0.decode(column: "detail", as: String.self) },
                        "INDEX sqlite_autoindex_user_tokens_2 (token_hash=?)"
                    )
                }
            }
            #expect(plan.contains { $0.contains(search) }, "\(plan)")
        }
    }

    /// The list reads every session in one statement; each item must be what the single-session
    /// endpoint, built by the general path, says of it — counts, seat and notes included.
    @Test(arguments: TestDatabase.enabled)
    func theListAgreesWithEachSessionItLists(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let armand = try await api.armand(table)
            let (berenice, hers) = try await api.newPlayer(table, "berenice")
            let full = try await api.createSession(
                table, name: "Complète", extra: ["max_players": 1, "allow_late_join": false])
            try await api.joinSession(full, table.player, character: armand)
            try await api.move(full, .start, table)
            try await api.move(full, .pause, table)
            let running = try await api.createSession(table, name: "Ouverte")
            try await api.send(
                .PUT, "/api/sessions/\(running.id)", token: table.mj.token, json: ["notes": "secret du MJ"])
            let left = try await api.createSession(table, name: "Quittée")
            try await api.joinSession(left, berenice, character: hers)
            try await api.send(.POST, "/api/sessions/\(left.id)/leave", token: berenice.token)
            _ = try await api.createSession(table, name: "Vide")
            let told = try await api.createSession(table, name: "Racontée")
            try await api.move(told, .cancel, table)
            try await api.send(
                .PUT, "/api/sessions/\(told.id)", token: table.mj.token,
                json: [
                    "summary": "Le manoir",
                    "key_events": [["event": "La porte cède", "timestamp": "2025-01-20T21:05:00Z"]],
                    "character_developments": [
                        ["character_id": armand.id.uuidString, "description": "A peur du noir"]
                    ],
                ])

            for viewer in [table.mj, table.player, berenice] {
                let page = try await api.send(.GET, "/api/sessions?partie_id=\(table.partie.id)", token: viewer.token)
                    .decode(Page<SessionResponse>.self)
                #expect(page.items.count == 5 && page.metadata.total == 5)
                for item in page.items {
                    let single = try await api.send(.GET, "/api/sessions/\(item.id)", token: viewer.token)
                    #expect(single.status == .ok)
                    let expected = try single.decode(SessionResponse.self)
                    #expect(item.seatedPlayers == expected.seatedPlayers, "\(item.name) vue par \(viewer.username)")
                    #expect(item.onlineCount == expected.onlineCount, "\(item.name) vue par \(viewer.username)")
                    #expect(item.canJoin == expected.canJoin, "\(item.name) vue par \(viewer.username)")
                    #expect(item.notes == expected.notes && item.allowedActions == expected.allowedActions)
                    #expect(item.status == expected.status && item.durationMinutes == expected.durationMinutes)
                    #expect(
                        item.keyEvents == expected.keyEvents
                            && item.characterDevelopments == expected.characterDevelopments)
                    #expect(item.summary == expected.summary && item.updatedAt == expected.updatedAt)
                }
                let notes = page.items.first { $0.id == running.id }?.notes
                #expect(viewer.id == table.mj.id ? notes == .some("secret du MJ") : notes == nil)
            }
            let complete = try await api.send(.GET, "/api/sessions?partie_id=\(table.partie.id)", token: berenice.token)
                .decode(Page<SessionResponse>.self).items.first { $0.id == full.id }
            #expect(complete?.seatedPlayers == 1 && complete?.canJoin == false)
            let account = try await api.send(
                .GET, "/api/sessions?partie_id=\(table.partie.id)&status=cancelled", token: berenice.token
            )
            .decode(Page<SessionResponse>.self).items
            #expect(account.map(\.id) == [told.id])
            #expect(
                account.first?.keyEvents == [
                    KeyEventPayload(event: "La porte cède", timestamp: Date(timeIntervalSince1970: 1_737_407_100))
                ])
            #expect(account.first?.characterDevelopments?.first?.description == "A peur du noir")
        }
    }

    /// The hottest reads (a token not yet cached, the list, a session, its presence) do not wait
    /// for a write in progress: on SQLite they have their own connections beside the single
    /// writer. They see what is committed and nothing else. Were they queued behind the writer,
    /// the reads below would wait for the transaction that waits for them, until the pool's
    /// timeout failed them.
    @Test(arguments: TestDatabase.enabled)
    func readsDoNotQueueBehindAWrite(db: TestDatabase) async throws {
        try await withTable(db, configure: { $0.databasePoolTimeout = 5 }) { api, table in
            let session = try await api.createSession(table, name: "Avant")
            api.app.tokenCache.removeAll()
            try await api.db.transaction { db in
                try await (db as! any SQLDatabase).update(Session.schema)
                    .set("name", to: "Pendant").where("id", .equal, session.id).run()
                let list = try await api.send(
                    .GET, "/api/sessions?partie_id=\(table.partie.id)", token: table.player.token)
                #expect(list.status == .ok, "\(list.reason)")
                #expect(try list.decode(Page<SessionResponse>.self).items.map(\.name) == ["Avant"])
                let single = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.mj.token)
                #expect(
                    single.status == .ok && (try? single.decode(SessionResponse.self).name) == "Avant",
                    "\(single.reason)")
                let presence = try await api.send(
                    .GET, "/api/sessions/\(session.id)/presence", token: table.player.token)
                #expect(presence.status == .ok, "\(presence.reason)")
            }
            let after = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.player.token)
            #expect(try after.decode(SessionResponse.self).name == "Pendant")
        }
    }

    /// The hub reads the journal to deliver, and that read must not wait for the writer either:
    /// on SQLite a chat line's transaction otherwise queued behind the deliveries of the lines
    /// before it. An event already committed reaches the live socket while a write holds the
    /// writer; pointed at the writer, the hub's read would wait for that write until the pool's
    /// timeout, and deliver nothing.
    @Test(arguments: TestDatabase.enabled)
    func deliveriesDoNotQueueBehindAWrite(db: TestDatabase) async throws {
        try await withTable(db, configure: { $0.databasePoolTimeout = 3 }) { api, table in
            let session = try await api.createSession(table)
            try await api.move(session, .start, table)
            let mj = try await LiveClient.connect(api, session: session.id, token: table.mj.token, since: 0)
            try await mj.waitFor("the start") { $0.contains { $0.data["status"] as? String == "active" } }
            try await api.db.transaction { db in
                _ = try await Participation.lockSession(session.id, on: db)
                try await Chat.post(
                    .init(kind: .text, body: "Déjà écrit", author: nil, sessionID: session.id, at: Date()), on: db)
            }
            try await api.db.transaction { db in
                try await (db as! any SQLDatabase).update(Session.schema)
                    .set("name", to: "Pendant").where("id", .equal, session.id).run()
                await api.app.live.poke(session.id)
                try await mj.waitFor("the line, during the write", seconds: 2) {
                    $0.contains { $0.type == "chat.message" && $0.data["body"] as? String == "Déjà écrit" }
                }
            }
        }
    }

    /// A write that cannot get SQLite's only writing connection within the pool's timeout is an
    /// overload: 503 with a delay to retry after, and nothing written.
    @Test func aWriteThatFindsNoConnectionIsToldToRetry() async throws {
        let captured = CapturedLog()
        try await withApp(.sqlite, configure: { $0.databasePoolTimeout = 1 }) { api in
            api.app.logger = Logger(label: "captured") { _ in captured }
            let table = try await Table.make(api)
            let session = try await api.createSession(table, name: "Avant")
            try await api.db.transaction { _ in
                let refused = try await api.send(
                    .PUT, "/api/sessions/\(session.id)", token: table.mj.token, json: ["name": "Jamais"])
                #expect(
                    refused.status == .serviceUnavailable && refused.headers.first(name: .retryAfter) == "5",
                    "\(refused.reason)")
                #expect(refused.error?.reason.contains("surchargé") == true)
            }
            let warning = captured.lines.withLockedValue { $0 }.filter { $0.contains("pool timeout") }
            #expect(warning.count == 1 && warning[0].contains("(1 s): PUT /api/sessions/\(session.id)"), "\(warning)")
            let after = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.mj.token)
            #expect(try after.decode(SessionResponse.self).name == "Avant")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func emptyPagesTellAMemberFromAStranger(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let path = "/api/sessions?partie_id=\(table.partie.id)"
            let none = try await api.send(.GET, path, token: table.player.token).decode(Page<SessionResponse>.self)
            #expect(none.items.isEmpty && none.metadata.total == 0)
            #expect(try await api.send(.GET, path, token: table.outsider.token).status == .notFound)
            #expect(
                try await api.send(.GET, "/api/sessions?partie_id=999999", token: table.player.token).status
                    == .notFound)
            for index in 1...3 { _ = try await api.createSession(table, name: "S\(index)") }
            let beyond = try await api.send(.GET, path + "&per=2&page=5", token: table.player.token).decode(
                Page<SessionResponse>.self)
            #expect(beyond.items.isEmpty && beyond.metadata.total == 3)
            #expect(try await api.send(.GET, path + "&per=2&page=5", token: table.outsider.token).status == .notFound)
            let scheduledOnly = try await api.send(.GET, path + "&status=active", token: table.player.token).decode(
                Page<SessionResponse>.self)
            #expect(scheduledOnly.items.isEmpty && scheduledOnly.metadata.total == 0)
        }
    }

    /// The list reads its query without Vapor's form decoder, and reads it as that decoder did:
    /// escapes and `+` decoded, the last of a repeated name, a name without `=` as absent, and a
    /// value that does not decode named in the error.
    @Test(arguments: TestDatabase.enabled)
    func theQueryIsReadAsSent(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            for index in 1...3 { _ = try await api.createSession(table, name: "S\(index)") }
            func page(_ query: String) async throws -> APIResponse {
                try await api.send(.GET, "/api/sessions?" + query, token: table.player.token)
            }
            let id = table.partie.id
            let repeated = try await page("per=1&partie_id=\(id)&per=2&status=sch%65duled").decode(
                Page<SessionResponse>.self)
            #expect(repeated.metadata.per == 2 && repeated.items.count == 2 && repeated.metadata.total == 3)
            let escapedName = try await page("partie%5Fid=\(id)&&page=2&per=2").decode(Page<SessionResponse>.self)
            #expect(escapedName.metadata.page == 2 && escapedName.items.count == 1)
            #expect(try await page("partie_id").error?.field == "partie_id")
            #expect(try await page("partie_id=\(id)&status").status == .ok)
            let spaced = try await page("partie_id=\(id)&status=en+cours")
            #expect(spaced.status == .badRequest && spaced.error?.field == "status")
            let broken = try await page("partie_id=\(id)&per=%zz")
            #expect(broken.status == .badRequest && broken.error?.field == "per")
            #expect(try await page("partie_id=%31%32x").error?.field == "partie_id")
        }
    }

    /// The heartbeat's single write answers what the presence list says, idle included, and a
    /// member removed from the partie no longer takes that path.
    @Test(arguments: TestDatabase.enabled)
    func aHeartbeatAnswersWhatThePresenceListSays(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await api.armandPlaying(table).session
            let path = "/api/sessions/\(session.id)/presence"
            api.clock.advance(by: 10)
            let beat = try await api.send(.POST, path, token: table.player.token).decode(PresenceResponse.self)
            let listed = try #require(
                try await api.presence(session, as: table.mj).first { $0.userId == table.player.id })
            #expect(beat.lastSeen == pinnedStart.addingTimeInterval(10) && listed.lastSeen == beat.lastSeen)
            #expect(beat.characterName == "Armand" && listed.characterName == "Armand")
            #expect(
                beat.status == .online && beat.joinedAt == listed.joinedAt && beat.lastActiveAt == listed.lastActiveAt)

            api.clock.advance(by: 400)
            _ = try await Participation.markIdle(now: api.clock.now(), after: 300, on: api.db)
            let idle = try await api.send(.POST, path, token: table.player.token).decode(PresenceResponse.self)
            #expect(idle.status == .idle && idle.idleSince != nil)
            #expect(
                try await api.presence(session, as: table.mj).first { $0.userId == table.player.id }?.status == .idle)
            let woken = try await api.send(.POST, path, token: table.player.token, json: ["active": true]).decode(
                PresenceResponse.self)
            #expect(woken.status == .online && woken.idleSince == nil && woken.lastActiveAt == api.clock.now())

            try await PartieMember.query(on: api.db).filter(\.$user.$id == table.player.id).delete()
            #expect(try await api.send(.POST, path, token: table.player.token).status == .notFound)
            #expect(try await api.send(.GET, path, token: table.player.token).status == .notFound)
        }
    }

    /// SQLite's readers keep each hot statement compiled: the same rows as SQLKit reads on the
    /// writer, each statement compiled once per connection however often it runs, every commit
    /// seen by the next read, and no connection left open once the application stops.
    @Test func sqliteHotReadsKeepTheirCompiledStatements() async throws {
        var path = ""
        try await withApp(.sqlite) { api in
            guard case .sqlite(let file) = api.app.config.database else { return }
            path = file
            let cache = try #require((api.app.readDB.context.configuration as? StatementCachingConfiguration)?.cache)
            let table = try await Table.make(api)
            let session = try await api.armandPlaying(table).session
            let said = try await api.send(
                .POST, "/api/sessions/\(session.id)/messages", token: table.player.token,
                json: ["body": "« Bonsoir » \\ é"])
            #expect(said.status == .created)
            let player = table.player.id
            func same<Statement: HotStatement>(_ statement: Statement) async throws {
                let cached = try await api.app.readDB.all(statement)
                let compiled = try await api.db.all(statement)
                #expect(!cached.isEmpty, "\(Statement.self)")
                #expect(try cached.map(Self.cells) == compiled.map(Self.cells), "\(Statement.self)")
            }
            for _ in 1...3 {
                try await same(SessionByID(callerID: player, sessionID: session.id, at: pinnedStart))
                try await same(
                    FirstSessionPage(callerID: player, partieID: table.partie.id, status: nil, per: 20, at: pinnedStart)
                )
                try await same(
                    LaterSessionPage(
                        callerID: player, partieID: table.partie.id, status: .active, per: 1, offset: 0, at: pinnedStart
                    ))
                try await same(AccessStatement(callerID: player, sessionID: session.id))
                try await same(OnlineStatement(callerID: player, sessionID: session.id))
                try await same(JournalStatement(session.id, after: 0, limit: 100))
            }
            for _ in 1...100 {
                #expect(
                    try await api.send(.GET, "/api/sessions?partie_id=\(table.partie.id)", token: table.player.token)
                        .status == .ok)
            }
            // Six statements, on at most every connection: never one compilation per call.
            #expect((6...6 * blockingThreads).contains(cache.compilations), "\(cache.compilations)")
            _ = try await api.createSession(table, name: "Après")
            let listed = try await api.send(
                .GET, "/api/sessions?partie_id=\(table.partie.id)", token: table.player.token
            )
            .decode(Page<SessionResponse>.self)
            #expect(listed.items.map(\.name).contains("Après"))
        }
        let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")
        }.filter { $0.hasPrefix(path) }
        #expect(!path.isEmpty && open.isEmpty, "\(open)")
    }

    /// A transaction opened on the readers is not a reader: a hot statement in it runs on the
    /// transaction's own connection and sees what the transaction wrote, where a connection of the
    /// statement cache would see the last commit (`ReadingDatabase`).
    @Test func aHotStatementInATransactionReadsTheTransaction() async throws {
        struct RollBack: Error {
            let name: String
            let onAReader: Bool
        }
        try await withApp(.sqlite) { api in
            let table = try await Table.make(api)
            let session = try await api.createSession(table, name: "Avant")
            let read = SessionByID(callerID: table.player.id, sessionID: session.id, at: pinnedStart)
            let rolledBack = await #expect(throws: RollBack.self) {
                try await api.app.readDB.transaction { db in
                    try await db.sql.update(Session.schema).set("name", to: "Pendant").where("id", .equal, session.id)
                        .run()
                    let row = try #require(try await db.first(read))
                    throw RollBack(
                        name: try row.decode(column: "name", as: String.self), onAReader: db is ReadingDatabase)
                }
            }
            #expect(rolledBack?.name == "Pendant")
            #expect(rolledBack?.onAReader == false)
            let row = try #require(try await api.app.readDB.first(read))
            #expect(try row.decode(column: "name", as: String.self) == "Avant")
        }
    }

    /// A row's cells as text, whatever their type, to compare rows read two ways.
    static func cells(_ row: any SQLRow) throws -> [String] {
        try row.allColumns.map { column in
            if try row.decodeNil(column: column) { return "\(column)=null" }
            if let value = try? row.decode(column: column, as: Int.self) { return "\(column)=\(value)" }
            if let value = try? row.decode(column: column, as: Double.self) { return "\(column)=\(value)" }
            if let value = try? row.decode(column: column, as: String.self) { return "\(column)=\(value)" }
            return "\(column)=\(try row.decode(column: column, as: Data.self).base64EncodedString())"
        }
    }
}
