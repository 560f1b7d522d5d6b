import EtrangeDomain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// `GET /api/me/export` (#27, point 3): every table that refers to users is exported or listed
/// in the README as holding none of the caller's data, a user who did everything finds each
/// section filled, and nothing private to others leaks into it.
@Suite struct DataExportTests {
    /// A column that names a person, whatever table it is in, when no foreign key says so.
    static func namesAPerson(_ column: String) -> Bool {
        ["user_id", "mj_id", "owner_id", "author_id", "sender_id", "recipient_id", "created_by", "uploaded_by"]
            .contains(column) || column.hasSuffix("_user_id") || column.hasSuffix("_by")
    }

    /// The tables of the live schema that refer to users: by a foreign key to `users` (or to
    /// `user_tokens`, a user's own rows), or by a column named like one.
    static func tablesReferringToUsers(on db: any Database) async throws -> Set<String> {
        struct Reference: Decodable {
            let table: String
            let column: String
            let target: String?
        }
        let sql = db.sql
        var references: [Reference] = []
        if sql.dialect.name == "sqlite" {
            struct Name: Decodable { let name: String }
            let tables = try await sql.raw(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).all(decoding: Name.self).map(\.name)
            for table in tables {
                struct Column: Decodable { let name: String }
                struct ForeignKey: Decodable {
                    let from: String
                    let table: String
                }
                for column in try await sql.raw("SELECT name FROM pragma_table_info(\(bind: table))")
                    .all(decoding: Column.self)
                {
                    references.append(Reference(table: table, column: column.name, target: nil))
                }
                for key in try await sql.raw(
                    "SELECT \"from\", \"table\" FROM pragma_foreign_key_list(\(bind: table))"
                ).all(decoding: ForeignKey.self) {
                    references.append(Reference(table: table, column: key.from, target: key.table))
                }
            }
        } else {
            references += try await sql.raw(
                """
                SELECT table_name AS "table", column_name AS "column", NULL AS target
                FROM information_schema.columns WHERE table_schema = current_schema()
                """
            ).all(decoding: Reference.self)
            references += try await sql.raw(
                """
                SELECT kcu.table_name AS "table", kcu.column_name AS "column", ccu.table_name AS target
                FROM information_schema.table_constraints tc
                JOIN information_schema.key_column_usage kcu
                  ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
                JOIN information_schema.constraint_column_usage ccu
                  ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
                WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()
                """
            ).all(decoding: Reference.self)
        }
        #expect(references.contains { $0.table == "users" }, "the schema walk found no users table")
        let referring = references.filter { reference in
            if let target = reference.target { return [User.schema, UserToken.schema].contains(target) }
            return namesAPerson(reference.column)
        }
        return Set(referring.map(\.table)).union([User.schema])
    }

    /// The README's list of tables that hold none of the caller's data: the backquoted name that
    /// starts each item under its heading.
    static func tablesListedAsHoldingNone() throws -> Set<String> {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let heading = "#### Tables holding none of the caller's data"
        let section = try #require(
            text.components(separatedBy: heading).dropFirst().first, "no « \(heading) » in README")
        var tables = Set<String>()
        for line in section.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#") { break }
            guard line.hasPrefix("- `") else { continue }
            tables.insert(String(line.dropFirst(3).prefix { $0 != "`" }))
        }
        return tables
    }

    @Test(arguments: TestDatabase.enabled)
    func everyTableReferringToUsersIsExportedOrListedAsHoldingNone(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let referring = try await Self.tablesReferringToUsers(on: api.db)
            let exported = Set(AccountExport.sources.map(\.key))
            let listed = try Self.tablesListedAsHoldingNone()
            let forgotten = referring.subtracting(exported).subtracting(listed)
            #expect(
                forgotten.isEmpty,
                "tables referring to users, neither in AccountExport.sources nor in the README's list: \(forgotten.sorted())"
            )
            #expect(
                exported.isDisjoint(with: listed),
                "both exported and listed as holding none: \(exported.intersection(listed).sorted())")
            // Names that are no table any more would make the list say nothing.
            let stale = exported.union(listed).subtracting(referring)
            #expect(stale.isEmpty, "listed but referring to no user: \(stale.sorted())")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func aUserWhoDidEverythingFindsEachSectionFilled(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            let player = t.table.player
            try await Self.doEverything(api, t)
            let response = try await api.send(.GET, "/api/me/export", token: player.token)
            #expect(response.status == .ok, "\(response.reason)")
            #expect(response.headers.first(name: .contentDisposition)?.contains("attachment") == true)
            let document = response.object
            let sources = try #require(document["sources"] as? [String: String])
            #expect(sources == Dictionary(AccountExport.sources.map { ($0.key, $0.value) }) { first, _ in first })
            for (table, key) in AccountExport.sources {
                let value = document[key]
                let filled =
                    switch value {
                    case let list as [Any]: !list.isEmpty
                    case is [String: Any]: true
                    default: false
                    }
                #expect(filled, "\(key) (from \(table)) is empty for a user who did everything")
            }
            let account = try #require(document["account"] as? [String: Any])
            #expect(account["username"] as? String == player.username)
            let hashes = ["password_hash\":", "$2b$", "$2a$"].filter(response.text.contains)
            #expect(hashes.isEmpty, "a password hash is exported: \(hashes)")
            #expect((document["time_played_seconds"] as? Int ?? 0) > 0)
            let characters = try #require(document["characters"] as? [[String: Any]])
            #expect(characters.map { $0["name"] as? String } == ["Armand"])
            #expect(characters.first?["sheet"] is [String: Any] && characters.first?["deck"] is [String: Any])
            let deleted = try #require(document["deleted_characters"] as? [[String: Any]])
            #expect(deleted.count == 1 && deleted.first?["deleted_at"] is String)
        }
    }

    /// The table's player does one of everything the server keeps about a person.
    static func doEverything(_ api: TestAPI, _ t: CardTable) async throws {
        let player = t.table.player
        let mj = t.table.mj
        let session = t.session.id
        let drew = try await api.drawCard(
            t.session, player, ["character_id": t.armand.id.uuidString, "visibility": "public"])
        try #require(drew.status == .created, "\(drew.reason)")
        for body: [String: Any] in [["body": "Bonsoir"], ["body": "Au MJ seulement", "scope": "private"]] {
            let line = try await api.send(.POST, "/api/sessions/\(session)/messages", token: player.token, json: body)
            try #require(line.status == .created, "\(line.reason)")
        }
        let whisper = try await api.send(
            .POST, "/api/sessions/\(session)/messages", token: mj.token,
            json: ["body": "Pour Armand", "scope": "private", "recipient_ids": [player.id]])
        try #require(whisper.status == .created, "\(whisper.reason)")
        let scenario = try await api.send(.POST, "/api/scenarios", token: player.token, json: ["title": "Le manoir"])
        try #require(scenario.status == .created, "\(scenario.reason)")
        let feed = try await api.send(.POST, "/api/calendar/feed", token: player.token)
        try #require(feed.status.code < 300, "\(feed.reason)")
        _ = try await PasswordResets.issue(to: player.id, at: api.clock.now(), on: api.db)
        let own = try await api.createPartie(player, name: "La partie d'Armand")
        let later = try await api.createSession(
            t.table, name: "Plus tard",
            extra: ["scheduled_date": JSONCoding.format(api.clock.now().addingTimeInterval(86_400))])
        let rsvp = try await api.send(
            .PUT, "/api/sessions/\(later.id)/rsvp", token: player.token, json: ["answer": "yes"])
        try #require(rsvp.status == .ok, "\(rsvp.reason)")
        let now = api.clock.now()
        let sql = api.db.sql
        // What no endpoint lets the table's player do in this state, written as the server would.
        let poll = UUID()
        let slot = UUID()
        try await sql.insert(into: "date_polls")
            .columns("id", "partie_id", "name", "max_players", "allow_late_join", "status", "created_at", "updated_at")
            .values(
                SQLBind(poll), SQLBind(t.table.partie.id), SQLBind("Quand ?"), SQLBind(4), SQLBind(true),
                SQLBind("open"), SQLBind(now), SQLBind(now)
            ).run()
        try await sql.insert(into: "date_poll_slots").columns("id", "poll_id", "starts_at")
            .values(SQLBind(slot), SQLBind(poll), SQLBind(now.addingTimeInterval(3600))).run()
        try await sql.insert(into: "date_poll_answers")
            .columns("id", "poll_id", "slot_id", "user_id", "answer", "updated_at")
            .values(SQLBind(UUID()), SQLBind(poll), SQLBind(slot), SQLBind(player.id), SQLBind("maybe"), SQLBind(now))
            .run()
        try await sql.insert(into: "session_waiters")
            .columns("session_id", "user_id", "character_id", "joined_at", "last_seen")
            .values(SQLBind(later.id), SQLBind(player.id), SQLBind(t.armand.id), SQLBind(now), SQLBind(now)).run()
        let handout = UUID()
        try await sql.insert(into: "handouts")
            .columns(
                "id", "partie_id", "title", "kind", "byte_size", "width", "height", "digest", "created_at", "shown_at",
                "shown_to_everyone"
            )
            .values(
                SQLBind(handout), SQLBind(t.table.partie.id), SQLBind("La lettre"), SQLBind("png"), SQLBind(10),
                SQLBind(1), SQLBind(1), SQLBind("00"), SQLBind(now), SQLBind(now), SQLBind(false)
            ).run()
        try await sql.insert(into: "handout_viewers").columns("id", "handout_id", "user_id")
            .values(SQLBind(UUID()), SQLBind(handout), SQLBind(player.id)).run()
        try await sql.insert(into: "session_decks")
            .columns("id", "session_id", "deck_key", "owner_id", "character_id", "state", "created_at", "updated_at")
            .values(
                SQLBind(UUID()), SQLBind(session), SQLBind(t.armand.id.uuidString), SQLBind(player.id),
                SQLBind(t.armand.id), SQLBind("{\"hasPot\":false,\"hasJoker\":false}"), SQLBind(now), SQLBind(now)
            ).run()
        _ = own
        let gone = try await api.createCharacter(player, name: "Oublié")
        let deleted = try await api.send(.DELETE, "/api/characters/\(gone.id)", token: player.token)
        try #require(deleted.status == .noContent, "\(deleted.reason)")
        api.clock.advance(by: 600)
    }

    @Test(arguments: TestDatabase.enabled)
    func othersPrivateLinesAndTheMJsNotesStayOut(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            let berthe = try await api.register("berthe")
            try await api.join(berthe, t.table.partie)
            let hers = try await api.createCharacter(berthe, name: "Berthe", partieID: t.table.partie.id)
            try #require(try await api.joinSession(t.session, berthe, character: hers).status == .ok)
            let session = "/api/sessions/\(t.session.id)"
            let lines: [(TestUser, [String: Any])] = [
                (t.table.mj, ["body": "Secret pour Berthe", "scope": "private", "recipient_ids": [berthe.id]]),
                (berthe, ["body": "Berthe au MJ en secret", "scope": "private"]),
                (t.table.mj, ["body": "Secret pour Armand", "scope": "private", "recipient_ids": [t.table.player.id]]),
                (t.table.player, ["body": "Armand au MJ en secret", "scope": "private"]),
                (berthe, ["body": "Berthe à tous"]),
            ]
            for (user, body) in lines {
                let response = try await api.send(.POST, session + "/messages", token: user.token, json: body)
                try #require(response.status == .created, "\(response.reason)")
            }
            let notes = try await api.send(
                .PUT, session, token: t.table.mj.token, json: ["notes": "Notes privées du MJ : le majordome ment"])
            try #require(notes.status == .ok, "\(notes.reason)")

            let mine = try await api.send(.GET, "/api/me/export", token: t.table.player.token)
            #expect(mine.status == .ok, "\(mine.reason)")
            let bodies = try #require(mine.object["messages"] as? [[String: Any]]).compactMap { $0["body"] as? String }
            #expect(Set(bodies) == ["Secret pour Armand", "Armand au MJ en secret"])
            for secret in ["Secret pour Berthe", "Berthe au MJ en secret", "le majordome ment", "Berthe à tous"] {
                let leaked = mine.text.contains(secret)
                #expect(!leaked, "« \(secret) » is in the player's export")
            }
            // The MJ's own export has their notes and every private line they sent or received.
            let theirs = try await api.send(.GET, "/api/me/export", token: t.table.mj.token)
            #expect(theirs.status == .ok, "\(theirs.reason)")
            for line in ["Secret pour Berthe", "Berthe au MJ en secret", "Secret pour Armand", "le majordome ment"] {
                let found = theirs.text.contains(line)
                #expect(found, "« \(line) » is missing from the MJ's export")
            }
            let othersPublicLine = theirs.text.contains("Berthe à tous")
            #expect(!othersPublicLine, "another player's public line is in the MJ's export")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func anonymousIsRefused(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let response = try await api.send(.GET, "/api/me/export")
            #expect(response.status == .unauthorized)
            #expect(response.error?.reason.isEmpty == false)
            #expect(try await api.send(.GET, "/api/me/export", token: "pas-un-jeton").status == .unauthorized)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func exportsAreLimitedPerPerson(db: TestDatabase) async throws {
        try await withTable(db) { api, t in
            let rule = api.app.config.limits.exports
            for _ in 0..<Int(rule.burst) {
                #expect(try await api.send(.GET, "/api/me/export", token: t.player.token).status == .ok)
            }
            let refused = try await api.send(.GET, "/api/me/export", token: t.player.token)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.reason.hasPrefix("Trop d'exports de vos données."), "\(refused.reason)")
            let wait = try #require(refused.headers.first(name: .retryAfter).flatMap(Int.init))
            #expect(wait > 0 && Double(wait) <= rule.window / rule.burst + 1)
            // Someone else's allowance is their own.
            #expect(try await api.send(.GET, "/api/me/export", token: t.mj.token).status == .ok)
            api.clock.advance(by: TimeInterval(wait))
            #expect(try await api.send(.GET, "/api/me/export", token: t.player.token).status == .ok)
        }
    }

    /// Exports asked at once by one person: the allowance is taken under a lock, so exactly its
    /// burst get through, whatever the interleaving.
    @Test(arguments: TestDatabase.enabled)
    func simultaneousExportsKeepToTheAllowance(db: TestDatabase) async throws {
        try await withTable(db) { api, t in
            let burst = Int(api.app.config.limits.exports.burst)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for _ in 0..<(burst * 3) {
                    group.addTask { try await api.send(.GET, "/api/me/export", token: t.player.token).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == burst)
            #expect(statuses.filter { $0 == .tooManyRequests }.count == burst * 2)
        }
    }

    /// The figures of the README: a player with 5,000 lines of chat in one session.
    @Test(arguments: TestDatabase.enabled)
    func fiveThousandLinesExportQuickly(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            let now = api.clock.now()
            let sql = api.db.sql
            for batch in 0..<10 {
                var insert = sql.insert(into: SessionMessage.schema)
                    .columns("session_id", "user_id", "kind", "body", "created_at", "scope")
                for index in 0..<500 {
                    insert = insert.values(
                        SQLBind(t.session.id), SQLBind(t.table.player.id), SQLBind("text"),
                        SQLBind("Ligne \(batch * 500 + index) : Armand fouille la bibliothèque du manoir."),
                        SQLBind(now), SQLBind("public"))
                }
                try await insert.run()
            }
            let started = ContinuousClock.now
            let response = try await api.send(.GET, "/api/me/export", token: t.table.player.token)
            let elapsed = ContinuousClock.now - started
            #expect(response.status == .ok)
            let lines = try #require(response.object["messages"] as? [Any])
            #expect(lines.count >= 5000)
            print("export of 5,000 lines on \(db): \(elapsed), \(response.body.count) bytes")
            #expect(elapsed < .seconds(10))
        }
    }
}
