import EtrangeDomain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// A running session with the MJ, two players (Armand, the table's player, and Berthe) and an
/// observer (Olga) seated, and an outsider who is no member of the partie.
struct ChatTable {
    let table: Table
    let berthe: TestUser
    let olga: TestUser
    let session: SessionResponse

    var mj: TestUser { table.mj }
    var armand: TestUser { table.player }
    var path: String { "/api/sessions/\(session.id)/messages" }

    static func make(_ api: TestAPI) async throws -> ChatTable {
        let table = try await Table.make(api)
        let berthe = try await api.register("berthe")
        let olga = try await api.register("olga")
        try await api.join(berthe, table.partie)
        try await api.join(olga, table.partie)
        let session = try await api.session(in: .active, table)
        for (player, name) in [(table.player, "Armand"), (berthe, "Berthe")] {
            let character = try await api.createCharacter(player, name: name, partieID: table.partie.id)
            let response = try await api.joinSession(session, player, character: character)
            try #require(response.status == .ok, "\(response.text)")
        }
        let seat = try await api.send(
            .POST, "/api/sessions/\(session.id)/participants", token: table.mj.token,
            json: ["user_id": olga.id, "role": "observer"])
        try #require([.ok, .created].contains(seat.status), "\(seat.text)")
        return ChatTable(table: table, berthe: berthe, olga: olga, session: session)
    }

    func post(_ api: TestAPI, _ user: TestUser, _ json: [String: Any]) async throws -> APIResponse {
        try await api.send(.POST, path, token: user.token, json: json)
    }

    func line(_ api: TestAPI, _ user: TestUser, _ json: [String: Any]) async throws -> MessageResponse {
        let response = try await post(api, user, json)
        try #require(response.status == .created, "\(response.text)")
        return try response.decode()
    }

    func page(_ api: TestAPI, as user: TestUser?) async throws -> APIResponse {
        try await api.send(.GET, path + "?limit=100", token: user?.token)
    }

    /// The stored row, read with SQL rather than through the model or the API.
    func row(_ api: TestAPI, _ id: Int) async throws -> (body: String, deleted: Bool) {
        struct Row: Decodable {
            let body: String
            let deletedAt: Date?
        }
        let row = try #require(
            try await api.db.sql.select().column("body").column("deleted_at").from("session_messages")
                .where("id", .equal, id)
                .first(decoding: Row.self, with: SQLRowDecoder(keyDecodingStrategy: .convertFromSnakeCase)))
        return (row.body, row.deletedAt != nil)
    }

    /// Journal events whose stored data holds `text`.
    func journalMentions(_ api: TestAPI, _ text: String) async throws -> Int {
        try await api.db.sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from("session_events").where("session_id", .equal, session.id)
            .where("data", .like, "%\(text)%")
            .first(decoding: [String: Int].self)?["n"] ?? -1
    }
}

@Suite struct PrivateChatTests {
    static let toArmand = "Tu entends un grattement sous le plancher."
    static let toMJ = "Je glisse la lettre dans ma poche."
    static let announcement = "Un orage éclate sur Carnac."

    /// Every kind of caller, every path: the REST list, the live channel as it happens and as a
    /// replay with `since`, the exports, attendance. A private line reaches its author, its
    /// recipients and the MJ, never Berthe (another player), Olga (an observer) or anyone else.
    @Test(arguments: TestDatabase.enabled)
    func aPrivateLineReachesOnlyItsReaders(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let t = try await ChatTable.make(api)
            var sockets: [LiveClient] = []
            for user in [t.mj, t.armand, t.berthe, t.olga] {
                sockets.append(try await LiveClient.connect(api, session: t.session.id, token: user.token))
            }
            let whisper = try await t.line(
                api, t.mj, ["body": Self.toArmand, "scope": "private", "recipient_ids": [t.armand.id]])
            #expect(whisper.scope == .private && whisper.recipients.map(\.id) == [t.armand.id])
            let back = try await t.line(api, t.armand, ["body": Self.toMJ, "scope": "private"])
            #expect(back.scope == .private && back.recipients.isEmpty)
            let news = try await t.line(api, t.mj, ["body": Self.announcement, "scope": "announcement"])
            #expect(news.scope == .announcement)
            // Corrections and removals of private lines are private too.
            let edited = try await api.send(
                .PATCH, "\(t.path)/\(back.id)", token: t.armand.token, json: ["body": Self.toMJ + " Vite."])
            #expect(edited.status == .ok, "\(edited.text)")
            let marker = try await t.line(api, t.berthe, ["body": "Quelqu'un a vu Armand ?"])

            let secrets = [Self.toArmand, Self.toMJ]
            let readers: [(TestUser, Bool)] = [(t.mj, true), (t.armand, true), (t.berthe, false), (t.olga, false)]

            // REST.
            for (user, reads) in readers {
                let page = try await t.page(api, as: user).decode(MessagePage.self)
                let bodies = page.items.map(\.body).joined(separator: "\n")
                #expect(secrets.allSatisfy { bodies.contains($0) } == reads, "\(user.username): \(bodies)")
                #expect(secrets.contains { bodies.contains($0) } == reads, "\(user.username): \(bodies)")
                #expect(bodies.contains(Self.announcement))
                // Paging by id does not open a way around the filter.
                let after = try await api.send(.GET, t.path + "?after=\(whisper.id - 1)", token: user.token)
                #expect(after.text.contains(Self.toArmand) == reads)
            }
            #expect(try await t.page(api, as: t.table.outsider).status == .notFound)
            #expect(try await t.page(api, as: nil).status == .unauthorized)
            let live = "/api/sessions/\(t.session.id)/live"
            #expect(try await api.upgradeStatus(live + "?token=\(t.table.outsider.token)") == 404)
            #expect(try await api.upgradeStatus(live) == 401)
            for path in ["/api/sessions/\(t.session.id)/recap.md", "/api/parties/\(t.table.partie.id)/log.md"] {
                #expect(try await api.send(.GET, path, token: t.table.outsider.token).status == .notFound)
                #expect(try await api.send(.GET, path).status == .unauthorized)
            }

            // Live, as it happens.
            for ((user, reads), socket) in zip(readers, sockets) {
                try await socket.waitFor("\(user.username) sees the marker") { messages in
                    messages.contains { $0.type == "chat.message" && $0.data["id"] as? Int == marker.id }
                }
                let text = socket.received.map(\.text).joined(separator: "\n")
                #expect(secrets.allSatisfy { text.contains($0) } == reads, "\(user.username) live: \(text)")
                #expect(secrets.contains { text.contains($0) } == reads, "\(user.username) live")
                #expect(
                    socket.events.contains { $0.type == "chat.edited" && $0.data["id"] as? Int == back.id } == reads)
                try await socket.close()
            }

            // Live, replayed after a reconnection.
            for (user, reads) in readers {
                let replay = try await LiveClient.connect(api, session: t.session.id, token: user.token, since: 0)
                try await replay.waitFor("\(user.username) replays the marker") { messages in
                    messages.contains { $0.type == "chat.message" && $0.data["id"] as? Int == marker.id }
                }
                let text = replay.received.map(\.text).joined(separator: "\n")
                #expect(secrets.contains { text.contains($0) } == reads, "\(user.username) replay: \(text)")
                #expect(secrets.allSatisfy { text.contains($0) } == reads, "\(user.username) replay")
                try await replay.close()
            }

            // Exports and attendance, once the evening is over.
            try #require(try await api.move(t.session, .end, t.table).status == .ok)
            for (user, reads) in readers {
                let recap = try await api.send(.GET, "/api/sessions/\(t.session.id)/recap.md", token: user.token)
                let log = try await api.send(.GET, "/api/parties/\(t.table.partie.id)/log.md", token: user.token)
                let attendance = try await api.send(
                    .GET, "/api/parties/\(t.table.partie.id)/attendance", token: user.token)
                for export in [recap, log] {
                    #expect(export.status == .ok)
                    #expect(
                        secrets.allSatisfy { export.text.contains($0) } == reads, "\(user.username): \(export.text)")
                    #expect(secrets.contains { export.text.contains($0) } == reads, "\(user.username)")
                    #expect(export.text.contains(Self.announcement))
                }
                #expect(attendance.status == .ok && !secrets.contains { attendance.text.contains($0) })
            }
            let mjRecap = try await api.send(.GET, "/api/sessions/\(t.session.id)/recap.md", token: t.mj.token)
            #expect(mjRecap.text.contains("en privé à armand"))
            #expect(mjRecap.text.contains("en privé au MJ"))
        }
    }

    /// A player's own private line is theirs alone among players: Berthe's line to the MJ is not in
    /// Armand's export, while each keeps their own.
    @Test(arguments: TestDatabase.enabled)
    func aPlayersExportHoldsOnlyTheirOwnPrivateLines(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let t = try await ChatTable.make(api)
            _ = try await t.line(api, t.armand, ["body": "Armand au MJ", "scope": "private"])
            _ = try await t.line(api, t.berthe, ["body": "Berthe au MJ", "scope": "private"])
            _ = try await t.line(
                api, t.mj, ["body": "Le MJ aux deux", "scope": "private", "recipient_ids": [t.armand.id, t.berthe.id]])
            let recap = { (user: TestUser) in
                try await api.send(.GET, "/api/sessions/\(t.session.id)/recap.md", token: user.token).text
            }
            let armand = try await recap(t.armand)
            let berthe = try await recap(t.berthe)
            let mj = try await recap(t.mj)
            #expect(
                armand.contains("Armand au MJ") && !armand.contains("Berthe au MJ") && armand.contains("Le MJ aux deux")
            )
            #expect(
                berthe.contains("Berthe au MJ") && !berthe.contains("Armand au MJ") && berthe.contains("Le MJ aux deux")
            )
            #expect(mj.contains("Armand au MJ") && mj.contains("Berthe au MJ") && mj.contains("Le MJ aux deux"))
            #expect(try await recap(t.olga).contains("au MJ") == false)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func whoMayWriteToWhom(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let t = try await ChatTable.make(api)
            let cases: [(TestUser, [String: Any], HTTPResponseStatus)] = [
                (t.armand, ["body": "x", "scope": "private", "recipient_ids": [t.berthe.id]], .badRequest),
                (t.mj, ["body": "x", "scope": "private"], .badRequest),
                (t.mj, ["body": "x", "scope": "private", "recipient_ids": [t.table.outsider.id]], .badRequest),
                (t.mj, ["body": "x", "scope": "private", "recipient_ids": [t.mj.id]], .badRequest),
                (t.mj, ["body": "x", "scope": "private", "recipient_ids": [t.armand.id, t.armand.id]], .badRequest),
                (t.mj, ["body": "x", "scope": "public", "recipient_ids": [t.armand.id]], .badRequest),
                (t.mj, ["body": "x", "pinned": true], .badRequest),
                (t.mj, ["body": "x", "scope": "chuchoté"], .badRequest),
                (t.armand, ["body": "x", "scope": "announcement"], .forbidden),
                (t.table.outsider, ["body": "x", "scope": "private"], .notFound),
            ]
            for (user, json, status) in cases {
                let response = try await t.post(api, user, json)
                #expect(response.status == status, "\(json): \(response.text)")
                #expect(response.error?.reason.isEmpty == false)
            }
            let page = try await t.page(api, as: t.mj).decode(MessagePage.self)
            #expect(!page.items.contains { $0.body == "x" }, "nothing half-written")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func anAnnouncementIsPinnedUntilUnpinned(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let t = try await ChatTable.make(api)
            let socket = try await LiveClient.connect(api, session: t.session.id, token: t.berthe.token)
            let news = try await t.line(
                api, t.mj, ["body": Self.announcement, "scope": "announcement", "pinned": true])
            #expect(news.pinnedAt != nil)
            let plain = try await t.line(api, t.armand, ["body": "Bonsoir"])
            for _ in 0..<3 { _ = try await t.line(api, t.berthe, ["body": "bavardage"]) }
            // Pinned stays listed whatever the page.
            var page = try await api.send(.GET, t.path + "?limit=2", token: t.berthe.token).decode(MessagePage.self)
            #expect(page.pinned.map(\.id) == [news.id] && !page.items.contains { $0.id == news.id })

            #expect(try await api.send(.DELETE, "\(t.path)/\(news.id)/pin", token: t.armand.token).status == .forbidden)
            #expect(try await api.send(.PUT, "\(t.path)/\(plain.id)/pin", token: t.mj.token).status == .conflict)
            let unpinned = try await api.send(.DELETE, "\(t.path)/\(news.id)/pin", token: t.mj.token)
            #expect(unpinned.status == .ok)
            #expect(try unpinned.decode(MessageResponse.self).pinnedAt == nil)
            page = try await t.page(api, as: t.berthe).decode(MessagePage.self)
            #expect(page.pinned.isEmpty)
            let pinned = try await api.send(.PUT, "\(t.path)/\(news.id)/pin", token: t.mj.token)
            #expect(pinned.status == .ok)
            #expect(try pinned.decode(MessageResponse.self).pinnedAt != nil)
            try await socket.waitFor("pin, unpin, pin") { messages in
                messages.map(\.type).filter { $0.hasSuffix("pinned") } == ["chat.unpinned", "chat.pinned"]
            }
            // Removing an announcement unpins it.
            #expect(try await api.send(.DELETE, "\(t.path)/\(news.id)", token: t.mj.token).status == .ok)
            #expect(try await t.page(api, as: t.berthe).decode(MessagePage.self).pinned.isEmpty)
        }
    }

    /// The author has five minutes on the injected clock; past them, a 403 with a French reason,
    /// and the MJ may still remove the line.
    @Test(arguments: TestDatabase.enabled)
    func theAuthorHasFiveMinutes(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let t = try await ChatTable.make(api)
            let line = try await t.line(api, t.armand, ["body": "Je ouvre la porte."])
            #expect(line.editableUntil == line.createdAt.addingTimeInterval(300))
            api.clock.advance(by: 299)
            let edit = try await api.send(
                .PATCH, "\(t.path)/\(line.id)", token: t.armand.token, json: ["body": "J'ouvre la porte."])
            #expect(edit.status == .ok, "\(edit.text)")
            let edited = try edit.decode(MessageResponse.self)
            #expect(edited.body == "J'ouvre la porte." && edited.editedAt != nil)
            #expect(try await t.row(api, line.id).body == "J'ouvre la porte.")

            // Others may not touch it.
            let byBerthe = try await api.send(
                .PATCH, "\(t.path)/\(line.id)", token: t.berthe.token, json: ["body": "Non."])
            #expect(byBerthe.status == .forbidden)
            #expect(try await api.send(.DELETE, "\(t.path)/\(line.id)", token: t.berthe.token).status == .forbidden)
            #expect(
                try await api.send(.PATCH, "\(t.path)/\(line.id)", token: t.mj.token, json: ["body": "Non."]).status
                    == .forbidden)

            api.clock.advance(by: 2)
            let late = try await api.send(
                .PATCH, "\(t.path)/\(line.id)", token: t.armand.token, json: ["body": "Trop tard."])
            #expect(late.status == .forbidden)
            #expect(late.error?.reason == "Le délai de 5 minutes pour corriger ce message est passé.")
            let lateDelete = try await api.send(.DELETE, "\(t.path)/\(line.id)", token: t.armand.token)
            #expect(lateDelete.status == .forbidden)
            #expect(lateDelete.error?.reason.contains("demandez au MJ") == true)
            #expect(try await t.row(api, line.id).body == "J'ouvre la porte.")

            api.clock.advance(by: 3600)
            let removed = try await api.send(.DELETE, "\(t.path)/\(line.id)", token: t.mj.token)
            #expect(removed.status == .ok, "\(removed.text)")
            #expect(try await api.send(.DELETE, "\(t.path)/\(line.id)", token: t.mj.token).status == .conflict)
            // A line the caller may not read is no line at all.
            let whisper = try await t.line(
                api, t.mj, ["body": "Pour Armand", "scope": "private", "recipient_ids": [t.armand.id]])
            #expect(try await api.send(.DELETE, "\(t.path)/\(whisper.id)", token: t.berthe.token).status == .notFound)
            #expect(try await api.send(.DELETE, "\(t.path)/999999", token: t.mj.token).status == .notFound)
        }
    }

    /// A deleted line's text is gone from the database: the row's body and every journaled event
    /// that carried it, so that a replay shows « message supprimé » and nothing else.
    @Test(arguments: TestDatabase.enabled)
    func deletingALineErasesItsText(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let t = try await ChatTable.make(api)
            let text = "Le code du coffre est 4719."
            let line = try await t.line(api, t.armand, ["body": text])
            _ = try await api.send(
                .PATCH, "\(t.path)/\(line.id)", token: t.armand.token, json: ["body": text + " Non, 4791."])
            #expect(try await t.journalMentions(api, "4719") == 2)
            let deleted = try await api.send(.DELETE, "\(t.path)/\(line.id)", token: t.armand.token)
            #expect(deleted.status == .ok, "\(deleted.text)")
            let response = try deleted.decode(MessageResponse.self)
            #expect(response.body.isEmpty && response.deletedAt != nil && response.editableUntil == nil)
            let row = try await t.row(api, line.id)
            #expect(row.body.isEmpty && row.deleted)
            #expect(try await t.journalMentions(api, "4719") == 0)
            #expect(try await t.journalMentions(api, "coffre") == 0)
            let replay = try await LiveClient.connect(api, session: t.session.id, token: t.berthe.token, since: 0)
            try await replay.waitFor("the deletion") { $0.contains { $0.type == "chat.deleted" } }
            #expect(!replay.received.contains { $0.text.contains("coffre") })
            let page = try await t.page(api, as: t.berthe).decode(MessagePage.self)
            #expect(page.items.first { $0.id == line.id }?.deletedAt != nil)
        }
    }

    /// An edit racing a delete: whichever comes first, the line ends deleted with no text, and no
    /// correction is journaled after the deletion.
    @Test(arguments: TestDatabase.enabled)
    func anEditRacingADeleteEndsDeleted(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let t = try await ChatTable.make(api)
            for round in 0..<6 {
                let line = try await t.line(api, t.armand, ["body": "Tour \(round)"])
                async let edit = api.send(
                    .PATCH, "\(t.path)/\(line.id)", token: t.armand.token, json: ["body": "Corrigé \(round)"])
                async let delete = api.send(
                    .DELETE, "\(t.path)/\(line.id)", token: round.isMultiple(of: 2) ? t.mj.token : t.armand.token)
                let (edited, deleted) = try await (edit, delete)
                #expect(deleted.status == .ok, "\(deleted.text)")
                #expect([.ok, .conflict].contains(edited.status), "\(edited.text)")
                let row = try await t.row(api, line.id)
                #expect(row.body.isEmpty && row.deleted)
                struct Event: Decodable {
                    let seq: Int
                    let type: String
                }
                let events = try await api.db.sql.select().column("seq").column("type").from("session_events")
                    .where("message_id", .equal, line.id).orderBy("seq").all(decoding: Event.self)
                let types = events.map(\.type)
                #expect(types.last == "chat.deleted", "\(types)")
                #expect(
                    types
                        == (edited.status == .ok
                            ? ["chat.message", "chat.edited", "chat.deleted"]
                            : ["chat.message", "chat.deleted"]))
            }
        }
    }
}
