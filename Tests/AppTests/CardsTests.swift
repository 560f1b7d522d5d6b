import EtrangeDomain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

extension TestAPI {
    func drawCard(_ session: SessionResponse, _ user: TestUser, _ body: [String: Any]) async throws -> APIResponse {
        try await send(.POST, "/api/sessions/\(session.id)/draws", token: user.token, json: body)
    }
}

/// A running session where the table's player sits with « Armand », whose suit is hearts.
struct CardTable {
    let table: Table
    let session: SessionResponse
    let armand: CharacterResponse

    static func make(_ api: TestAPI) async throws -> CardTable {
        let table = try await Table.make(api)
        let response = try await api.send(
            .POST, "/api/characters", token: table.player.token,
            json: ["name": "Armand", "partie_id": table.partie.id, "figure": "hearts"])
        let armand = try response.decode(CharacterResponse.self)
        let session = try await api.session(in: .active, table)
        try await api.joinSession(session, table.player, character: armand)
        return CardTable(table: table, session: session, armand: armand)
    }
}

@Suite struct CardsTests {
    static let heartsAceToTen = ["A", "2", "3", "4", "5", "6", "7", "8", "9", "10"].map { "\($0)-hearts" }

    @Test(arguments: TestDatabase.enabled)
    func aClassicTestAddsUpAndReachesTheChat(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let t = try await CardTable.make(api)
            let response = try await api.drawCard(
                t.session, t.table.player,
                [
                    "character_id": t.armand.id.uuidString, "mode": "classic", "difficulty": 9,
                    "characteristic": ["name": "Agilité", "value": 3], "bonuses": [["name": "Épée", "value": 1]],
                    "reason": "Sauter le fossé", "visibility": "public",
                ])
            #expect(response.status == .created, "\(response.text)")
            let draw = try response.decode(DrawResponse.self)
            #expect(draw.cards.count == 1 && draw.cards[0].kept == true)
            let card = draw.cards[0]
            let expectedValue = card.rank.flatMap(Rank.init(rawValue:)).map { CardValueTable.current.value(of: $0) }
            #expect(draw.cardValue == expectedValue && card.value == draw.cardValue)
            #expect(draw.total == draw.cardValue + 3 + 1)
            #expect(draw.outcome == (draw.total >= 9 ? .success : .failure))
            #expect(draw.chatLine.hasPrefix("Armand tire"))
            #expect(draw.chatLine.contains("Agilité 3") && draw.chatLine.contains("(difficulté 9)"))

            let messages = try await api.send(.GET, "/api/sessions/\(t.session.id)/messages", token: t.table.mj.token)
                .decode(MessagePage.self)
            let drawMessage = try #require(messages.items.last)
            #expect(drawMessage.kind == .draw && drawMessage.drawId == draw.id && drawMessage.body == draw.chatLine)
            #expect(messages.items.contains { $0.kind == .system && $0.body == "La session est en cours." })

            let history = try await api.send(.GET, "/api/sessions/\(t.session.id)/draws", token: t.table.mj.token)
                .decode(Page<DrawResponse>.self)
            #expect(history.items.map(\.id) == [draw.id])
        }
    }

    /// A new character's deck is its suit's A–10, built from its rows, and drawing never takes a
    /// base card out: after 40 draws the deck is the same ten cards, and every card drawn was one.
    @Test(arguments: TestDatabase.enabled)
    func theDeckIsBuiltFromItsRowsAndBaseCardsNeverLeave(db: TestDatabase) async throws {
        try await withApp(db, configure: { $0.limits.draws.burst = 1000 }) { api in
            let t = try await CardTable.make(api)
            #expect(t.armand.deck.rows == [DeckRow.newCharacter(.hearts)] && t.armand.deck.cardCount == 10)
            let deckPath = "/api/sessions/\(t.session.id)/decks/\(t.armand.id)"
            let before = try await api.send(.GET, deckPath, token: t.table.player.token).decode(DeckResponse.self)
            #expect(before.cards.map { "\($0.rank!)-\($0.suit!.rawValue)" } == Self.heartsAceToTen)
            var drawn = Set<String>()
            for index in 0..<40 {
                let mode = ["classic", "advantage", "disadvantage"][index % 3]
                let draw = try await api.drawCard(
                    t.session, t.table.player,
                    ["character_id": t.armand.id.uuidString, "visibility": "public", "mode": mode]
                ).decode(DrawResponse.self)
                for card in draw.cards { drawn.insert("\(card.rank!)-\(card.suit!.rawValue)") }
                #expect(!draw.reshuffled)
            }
            #expect(drawn.isSubset(of: Set(Self.heartsAceToTen)) && drawn.count > 5)
            let after = try await api.send(.GET, deckPath, token: t.table.player.token).decode(DeckResponse.self)
            #expect(
                after.remaining == 10 && after.cards.map(\.label) == before.cards.map(\.label) && after.spent.isEmpty)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func advantageKeepsTheHigherRankAndDisadvantageTheLower(db: TestDatabase) async throws {
        try await withApp(db, configure: { $0.limits.draws.burst = 1000 }) { api in
            let t = try await CardTable.make(api)
            // 10 and Roi are both worth 10: only the rank tells them apart.
            try await api.putSheet(t.armand, t.table.player, rows: [["suit": "hearts", "ranks": ["10", "K"]]])
            for mode in ["advantage", "disadvantage"] {
                let draw = try await api.drawCard(
                    t.session, t.table.player,
                    ["character_id": t.armand.id.uuidString, "mode": mode, "visibility": "public"]
                ).decode(DrawResponse.self)
                #expect(Set(draw.cards.map(\.rank)) == ["10", "K"])
                let kept = try #require(draw.cards.first { $0.kept == true })
                #expect(kept.rank == (mode == "advantage" ? "K" : "10"))
                #expect(draw.total == 10 && draw.outcome == nil)
            }
            // The MJ's deck: ranks compared by order, whatever the two cards.
            let order = Rank.allCases.map(\.rawValue)
            for mode in ["advantage", "disadvantage"] {
                for _ in 0..<6 {
                    let draw = try await api.drawCard(t.session, t.table.mj, ["mode": mode, "visibility": "public"])
                        .decode(DrawResponse.self)
                    let kept = try #require(draw.cards.first { $0.kept == true }?.rank.flatMap(order.firstIndex))
                    let other = try #require(draw.cards.first { $0.kept == false }?.rank.flatMap(order.firstIndex))
                    #expect(mode == "advantage" ? kept >= other : kept <= other)
                }
            }
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func whoMayDrawFromWhichDeck(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let t = try await CardTable.make(api)
            let (other, theirs) = try await api.newPlayer(t.table, "berenice")
            let mine: [String: Any] = ["character_id": t.armand.id.uuidString, "visibility": "public"]
            #expect(try await api.drawCard(t.session, other, mine).error?.field == "character_id")
            #expect(
                try await api.drawCard(
                    t.session, other, ["character_id": theirs.id.uuidString, "visibility": "public"]
                ).status == .forbidden)
            #expect(
                try await api.drawCard(t.session, t.table.player, ["visibility": "public"]).error?.field
                    == "character_id")
            #expect(try await api.drawCard(t.session, t.table.outsider, mine).status == .notFound)
            #expect(
                try await api.drawCard(t.session, t.table.player, ["character_id": t.armand.id.uuidString]).error?.field
                    == "visibility")
            #expect(
                try await api.drawCard(t.session, t.table.player, mine.merging(["mode": "triple"]) { $1 }).error?.field
                    == "mode")
            let tooMany = try await api.drawCard(
                t.session, t.table.player,
                [
                    "character_id": t.armand.id.uuidString, "visibility": "public",
                    "bonuses": [["name": "a", "value": 1], ["name": "b", "value": 1], ["name": "c", "value": 1]],
                ])
            #expect(tooMany.error?.field == "bonuses")
            #expect(
                try await api.drawCard(t.session, t.table.player, mine.merging(["difficulty": 1000]) { $1 }).error?
                    .field == "difficulty")
            #expect(
                try await api.send(
                    .GET, "/api/sessions/\(t.session.id)/decks/\(theirs.id)", token: t.table.player.token
                ).status == .notFound)
            #expect(
                try await api.send(.GET, "/api/sessions/\(t.session.id)/decks/mj", token: t.table.player.token).status
                    == .forbidden)
            try await api.move(t.session, .pause, t.table)
            let paused = try await api.drawCard(t.session, t.table.player, mine)
            #expect(paused.status == .conflict && paused.reason.contains("paused"))
            #expect(try await SessionDraw.query(on: api.db).count() == 0)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func secretDrawsStaySecret(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let t = try await CardTable.make(api)
            let (other, theirs) = try await api.newPlayer(t.table, "berenice")
            try await api.joinSession(t.session, other, character: theirs)
            let otherLive = try await LiveClient.connect(api, session: t.session.id, token: other.token, since: 0)
            let mjLive = try await LiveClient.connect(api, session: t.session.id, token: t.table.mj.token, since: 0)
            let secret = try await api.drawCard(
                t.session, t.table.player, ["character_id": t.armand.id.uuidString, "visibility": "mj"]
            )
            .decode(DrawResponse.self)
            try await api.send(
                .POST, "/api/sessions/\(t.session.id)/messages", token: t.table.player.token, json: ["body": "fin"])
            try await mjLive.waitFor("secret draw") { $0.contains { $0.type == "cards.drawn" } }
            try await otherLive.waitFor("the message after it") {
                $0.contains { $0.type == "chat.message" && $0.data["body"] as? String == "fin" }
            }
            #expect(!otherLive.received.contains { $0.type == "cards.drawn" })
            for (user, sees) in [(t.table.mj, true), (t.table.player, true), (other, false)] {
                let list = try await api.send(.GET, "/api/sessions/\(t.session.id)/draws", token: user.token).decode(
                    Page<DrawResponse>.self)
                #expect(list.items.contains { $0.id == secret.id } == sees)
            }
            let chat = try await api.send(.GET, "/api/sessions/\(t.session.id)/messages", token: other.token)
            #expect(!chat.text.contains(secret.chatLine))
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func theClassicRuleIsData(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await api.createSession(table)
            #expect(
                try await api.send(
                    .PUT, "/api/sessions/\(session.id)", token: table.mj.token, json: ["card_values": "maison"]
                ).error?.field == "card_values")
            try await api.send(
                .PUT, "/api/sessions/\(session.id)", token: table.mj.token, json: ["card_values": "classic"])
            try await api.move(session, .start, table)
            for _ in 0..<10 {
                let draw = try await api.drawCard(session, table.mj, ["visibility": "public"]).decode(DrawResponse.self)
                let rank = try #require(draw.cards[0].rank.flatMap(Rank.init(rawValue:)))
                #expect(draw.cardValue == CardValueTable.classic.value(of: rank))
                #expect(draw.valueTable == "classic")
            }
        }
    }
}

@Suite struct ChatTests {
    @Test(arguments: TestDatabase.enabled)
    func messagesWithCursorsAndLimits(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let t = try await CardTable.make(api)
            let path = "/api/sessions/\(t.session.id)/messages"
            for index in 1...5 {
                let posted = try await api.send(
                    .POST, path, token: t.table.player.token, json: ["body": "  message \(index)  "])
                #expect(posted.status == .created)
                #expect(try posted.decode(MessageResponse.self).body == "message \(index)")
            }
            let all = try await api.send(.GET, path, token: t.table.mj.token).decode(MessagePage.self)
            let texts = all.items.filter { $0.kind == .text }
            #expect(texts.map(\.body) == (1...5).map { "message \($0)" })
            #expect(all.items.map(\.id) == all.items.map(\.id).sorted())
            let latest = try await api.send(.GET, path + "?limit=2", token: t.table.mj.token).decode(MessagePage.self)
            #expect(latest.items.map(\.body) == ["message 4", "message 5"] && latest.hasMore)
            let earlier = try await api.send(
                .GET, path + "?limit=2&before=\(latest.items[0].id)", token: t.table.mj.token
            ).decode(MessagePage.self)
            #expect(earlier.items.map(\.body) == ["message 2", "message 3"])
            let later = try await api.send(.GET, path + "?after=\(earlier.items[1].id)", token: t.table.mj.token)
                .decode(MessagePage.self)
            #expect(later.items.map(\.body) == ["message 4", "message 5"] && !later.hasMore)

            #expect(
                try await api.send(.POST, path, token: t.table.player.token, json: ["body": "   "]).error?.field
                    == "body")
            #expect(
                try await api.send(
                    .POST, path, token: t.table.player.token, json: ["body": String(repeating: "b", count: 2001)]
                ).error?.field == "body")
            #expect(try await api.send(.GET, path + "?limit=101", token: t.table.mj.token).error?.field == "limit")
            #expect(try await api.send(.GET, path + "?before=1&after=2", token: t.table.mj.token).status == .badRequest)
            let (other, _) = try await api.newPlayer(t.table, "berenice")
            #expect(try await api.send(.POST, path, token: other.token, json: ["body": "salut"]).status == .forbidden)
            #expect(try await api.send(.GET, path, token: other.token).status == .ok)
            #expect(try await api.send(.GET, path, token: t.table.outsider.token).status == .notFound)
            try await api.move(t.session, .end, t.table)
            #expect(
                try await api.send(.POST, path, token: t.table.player.token, json: ["body": "trop tard"]).status
                    == .conflict)
            let closing = try await api.send(.GET, path + "?limit=1", token: t.table.player.token).decode(
                MessagePage.self)
            #expect(closing.items.first?.kind == .system && closing.items.first?.body == "La session est terminée.")
        }
    }
}
