import EtrangeDomain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

extension TestAPI {
    /// Armand's sheet for these tests: Force 2 raised by Colosse 1, Santé 8 with 3 dégâts, Bagarre 2
    /// with the profession Boxeur 1, Télékinésie 3 with the voie Psychisme 2, and an effect on the
    /// 7 de cœur in a Bagarre test.
    static var armandSheet: [String: Any] {
        [
            "characteristics": [
                ["name": "Force", "value": 2], ["name": "Dextérité", "value": 1],
                ["name": "Santé", "value": 8, "reduced_by": "Dégâts"], ["name": "Dégâts", "value": 3],
            ],
            "skills": [["name": "Bagarre", "level": 2]],
            "capacities": [["name": "Colosse", "level": 1, "raises": "Force"], ["name": "Télékinésie", "level": 3]],
            "profession": ["name": "Boxeur", "score": 1], "hobby": ["name": "Pêche", "score": 2],
            "voie": ["name": "Psychisme", "score": 2],
            "effects": [
                [
                    "rank": "7", "suit": "hearts", "target": ["kind": "skill", "name": "Bagarre"],
                    "description": "L'adversaire est sonné.",
                ]
            ],
        ]
    }

    @discardableResult
    func putSheet(
        _ character: CharacterResponse, _ user: TestUser, rows: [[String: Any]]? = nil, joker: Bool? = nil,
        sheet: [String: Any] = TestAPI.armandSheet
    ) async throws -> CharacterResponse {
        var body = sheet
        if let rows { body["deck_rows"] = rows }
        if let joker { body["joker"] = joker }
        let response = try await send(.PUT, "/api/characters/\(character.id)/sheet", token: user.token, json: body)
        #expect(response.status == .ok, "\(response.text)")
        return try response.decode(CharacterResponse.self)
    }

    func pot(_ character: CharacterResponse, _ user: TestUser, add figure: String) async throws -> APIResponse {
        try await send(.POST, "/api/characters/\(character.id)/pot", token: user.token, json: ["figure": figure])
    }
}

@Suite struct CharacterDeckTests {
    func place(_ character: CharacterResponse, _ rank: Rank) -> PotPlace? {
        character.deck.pot.first { $0.rank == rank }?.place
    }

    func draw(_ api: TestAPI, _ t: CardTable, _ extra: [String: Any] = [:]) async throws -> DrawResponse {
        let response = try await api.drawCard(
            t.session, t.table.player,
            ["character_id": t.armand.id.uuidString, "visibility": "public"].merging(extra) { $1 })
        #expect(response.status == .created, "\(response.text)")
        return try response.decode(DrawResponse.self)
    }

    @Test(arguments: TestDatabase.enabled)
    func aPotFigureIsSpentWhenDrawnAndBackAfterReset(db: TestDatabase) async throws {
        try await withApp(db, configure: { $0.limits.draws.burst = 1000 }) { api in
            let t = try await CardTable.make(api)
            #expect(Rank.figures.allSatisfy { place(t.armand, $0) == .pot })
            try await api.putSheet(t.armand, t.table.player, rows: [["suit": "hearts", "ranks": ["A"]]])
            let added = try await api.pot(t.armand, t.table.player, add: "Q").decode(CharacterResponse.self)
            #expect(place(added, .queen) == .deck && added.deck.cardCount == 2)
            let twice = try await api.pot(t.armand, t.table.player, add: "Q")
            #expect(twice.status == .conflict && twice.reason == "La Dame du pot est déjà dans le paquet.")
            #expect(try await api.pot(t.armand, t.table.player, add: "7").error?.field == "figure")

            var spentBy: DrawResponse?
            for _ in 0..<60 where spentBy == nil {
                let draw = try await draw(api, t)
                if draw.cards[0].origin == "pot" { spentBy = draw }
            }
            let spending = try #require(spentBy)
            #expect(spending.cards[0].label == "Dame de cœur" && spending.cardValue == 10)
            #expect(spending.chatLine.contains("la Dame de cœur (pot)"))
            let deckPath = "/api/sessions/\(t.session.id)/decks/\(t.armand.id)"
            let after = try await api.send(.GET, deckPath, token: t.table.player.token).decode(DeckResponse.self)
            #expect(after.remaining == 1 && after.spent.map(\.label) == ["Dame de cœur"])
            #expect(after.pot.first { $0.rank == .queen }?.place == .spent)
            for _ in 0..<10 { #expect(try await draw(api, t).cards[0].label == "As de cœur") }
            let spentAgain = try await api.pot(t.armand, t.table.player, add: "Q")
            #expect(spentAgain.status == .conflict && spentAgain.reason.contains("remettez le pot à zéro"))

            // The MJ resets it: the three figures back in the pot, out of the deck.
            let reset = try await api.send(
                .POST, "/api/characters/\(t.armand.id)/pot/reset", token: t.table.mj.token
            ).decode(CharacterResponse.self)
            #expect(Rank.figures.allSatisfy { place(reset, $0) == .pot } && reset.deck.cardCount == 1)
            #expect(try await api.pot(t.armand, t.table.mj, add: "Q").status == .ok)
            #expect(
                try await api.send(.POST, "/api/characters/\(t.armand.id)/pot/reset", token: t.table.outsider.token)
                    .status == .notFound)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func theJokerIsNeverSpentAndWorthWhatThePlayerChose(db: TestDatabase) async throws {
        try await withApp(db, configure: { $0.limits.draws.burst = 1000 }) { api in
            let t = try await CardTable.make(api)
            let armand = try await api.putSheet(t.armand, t.table.player, rows: [], joker: true)
            #expect(armand.deck.joker && armand.deck.cardCount == 1)
            for value in [10, 4, 10, 1] {
                let draw = try await draw(api, t, ["joker_value": value, "difficulty": 5])
                #expect(draw.cards[0].label == "Joker" && draw.cardValue == value)
            }
            let byDefault = try await draw(api, t)
            #expect(byDefault.cardValue == 10)
            let deck = try await api.send(
                .GET, "/api/sessions/\(t.session.id)/decks/\(t.armand.id)", token: t.table.player.token
            ).decode(DeckResponse.self)
            #expect(deck.hasJoker && deck.remaining == 1 && deck.spent.isEmpty)
            let refused = try await api.drawCard(
                t.session, t.table.player,
                ["character_id": t.armand.id.uuidString, "visibility": "public", "joker_value": 11])
            #expect(refused.error?.field == "joker_value" && refused.reason.contains("de 1 à 10"))
        }
    }

    /// « 7 de cœur : 7 + Force 2 + Colosse 1 + Bagarre 2 + Boxeur 1 = 13 — RÉUSSITE (difficulté 12) »,
    /// with the effect, in the draw, the chat line and the live event.
    @Test(arguments: TestDatabase.enabled)
    func bonusesFromTheSheetTermByTermAndTheTriggeredEffect(db: TestDatabase) async throws {
        try await withApp(db, configure: { $0.limits.draws.burst = 1000 }) { api in
            let t = try await CardTable.make(api)
            try await api.putSheet(t.armand, t.table.player, rows: [["suit": "hearts", "ranks": ["7"]]])
            let live = try await LiveClient.connect(api, session: t.session.id, token: t.table.mj.token, since: 0)
            let bagarre: [String: Any] = ["characteristic": "Force", "skill": "Bagarre"]
            let hit = try await draw(api, t, ["sheet": bagarre, "difficulty_preset": "difficile"])
            #expect(hit.characteristic?.name == "Force" && hit.characteristic?.value == 2)
            #expect(hit.bonuses.map { "\($0.name) \($0.value)" } == ["Colosse 1", "Bagarre 2", "Boxeur 1"])
            #expect(hit.total == 13 && hit.difficulty == 12 && hit.outcome == .success)
            #expect(hit.effect?.description == "L'adversaire est sonné.")
            #expect(
                hit.chatLine
                    == "Armand tire le 7 de cœur : 7 + Force 2 + Colosse 1 + Bagarre 2 + Boxeur 1 = 13 — RÉUSSITE (difficulté 12) — effet déclenché : L'adversaire est sonné."
            )
            let messages = try await api.send(.GET, "/api/sessions/\(t.session.id)/messages", token: t.table.mj.token)
                .decode(MessagePage.self)
            #expect(messages.items.last?.body == hit.chatLine)
            let events = try await live.waitFor("the draw") { $0.contains { $0.type == "cards.drawn" } }
            let event = try #require(events.first { $0.type == "cards.drawn" })
            #expect(event.text.contains("L'adversaire est sonné.") && event.text.contains("\"Colosse\""))

            // The same card failing: no effect.
            let miss = try await draw(api, t, ["sheet": bagarre, "difficulty_preset": "tres_difficile"])
            #expect(miss.total == 13 && miss.outcome == .failure && miss.effect == nil)
            #expect(!miss.chatLine.contains("effet"))
            // Succeeding without naming Bagarre: no effect.
            let force = try await draw(api, t, ["sheet": ["characteristic": "Force"], "difficulty": 5])
            #expect(force.outcome == .success && force.effect == nil && force.total == 10)
            // Santé counts as santé − dégâts; a capacity adds the voie's score.
            let health = try await draw(api, t, ["sheet": ["characteristic": "Santé"]])
            #expect(health.total == 7 + 8 - 3 && health.chatLine.contains("+ Santé 8 − Dégâts 3 = 12"))
            let psy = try await draw(api, t, ["sheet": ["capacity": "Télékinésie"]])
            #expect(psy.characteristic == nil && psy.total == 7 + 3 + 2)
            #expect(psy.chatLine.hasSuffix(": 7 + Télékinésie 3 + Psychisme 2 = 12"))

            let unknown = try await api.drawCard(
                t.session, t.table.player,
                ["character_id": t.armand.id.uuidString, "visibility": "public", "sheet": ["skill": "Escrime"]])
            #expect(unknown.error?.field == "sheet" && unknown.reason.contains("pas de compétence « Escrime »"))
            let both = try await api.drawCard(
                t.session, t.table.player,
                [
                    "character_id": t.armand.id.uuidString, "visibility": "public", "sheet": bagarre,
                    "characteristic": ["name": "Force", "value": 9],
                ])
            #expect(both.error?.field == "sheet")
        }
    }

    /// Without a suit chosen, a character plays pique, as its deck always did: A–10 of pique.
    @Test(arguments: TestDatabase.enabled)
    func aCharacterWithoutASuitGetsPiqueAceToTen(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let plain = try await api.createCharacter(table.player, name: "Sans figure", partieID: table.partie.id)
            #expect(plain.figure == nil && plain.deck.rows == [DeckRow.newCharacter(.spades)])
            #expect(plain.sheet == CharacterSheet.appDefaults)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func thePresets(db: TestDatabase) async throws {
        try await withApp(db, configure: { $0.limits.draws.burst = 1000 }) { api in
            let t = try await CardTable.make(api)
            for preset in DifficultyPreset.allCases {
                let draw = try await draw(api, t, ["difficulty_preset": preset.rawValue])
                #expect(draw.difficulty == preset.value)
                #expect(draw.outcome == (draw.total >= preset.value ? .success : .failure))
            }
            #expect(
                try await api.drawCard(
                    t.session, t.table.player,
                    [
                        "character_id": t.armand.id.uuidString, "visibility": "public", "difficulty": 7,
                        "difficulty_preset": "facile",
                    ]
                ).error?.field == "difficulty")
            #expect(
                try await api.drawCard(
                    t.session, t.table.player,
                    ["character_id": t.armand.id.uuidString, "visibility": "public", "difficulty_preset": "ardu"]
                ).status == .badRequest)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func socialInfluenceAddsAFigureToOneDraw(db: TestDatabase) async throws {
        try await withApp(db, configure: { $0.limits.draws.burst = 1000 }) { api in
            let t = try await CardTable.make(api)
            try await api.putSheet(t.armand, t.table.player, rows: [["suit": "hearts", "ranks": ["A"]]])
            let draw = try await draw(api, t, ["social_influence": "K", "mode": "advantage"])
            // Two cards of two: the As and the Roi of influence; advantage keeps the Roi.
            #expect(Set(draw.cards.map(\.label)) == ["As de cœur", "Roi de cœur"])
            #expect(draw.cards.first { $0.kept == true }?.origin == "influence" && draw.socialInfluence == .king)
            #expect(draw.chatLine.contains("le Roi de cœur (influence sociale)"))
            let deck = try await api.send(
                .GET, "/api/sessions/\(t.session.id)/decks/\(t.armand.id)", token: t.table.player.token
            ).decode(DeckResponse.self)
            #expect(deck.remaining == 1)
            #expect(
                try await api.drawCard(
                    t.session, t.table.player,
                    ["character_id": t.armand.id.uuidString, "visibility": "public", "social_influence": "7"]
                ).error?.field == "social_influence")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func theSheetIsEditedByItsPlayerAndTheMJ(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let t = try await CardTable.make(api)
            let (other, _) = try await api.newPlayer(t.table, "berenice")
            let shown = try await api.send(.GET, "/api/characters/\(t.armand.id)", token: other.token)
                .decode(CharacterResponse.self)
            #expect(shown.sheet.characteristics.map(\.name).first == "Force")
            let byMJ = try await api.putSheet(
                t.armand, t.table.mj,
                rows: [["suit": "hearts", "ranks": ["A", "2"]], ["suit": "spades", "ranks": ["K"]]])
            #expect(byMJ.deck.cardCount == 3 && byMJ.sheet.skills.map(\.name) == ["Bagarre"])
            let path = "/api/characters/\(t.armand.id)/sheet"
            #expect(
                try await api.send(.PUT, path, token: other.token, json: TestAPI.armandSheet).status == .forbidden)
            #expect(
                try await api.send(.PUT, path, token: t.table.outsider.token, json: TestAPI.armandSheet).status
                    == .notFound)
            var wrong = TestAPI.armandSheet
            wrong["capacities"] = [["name": "Colosse", "level": 1, "raises": "Puissance"]]
            let refused = try await api.send(.PUT, path, token: t.table.player.token, json: wrong)
            #expect(
                refused.error?.field == "sheet"
                    && refused.reason.contains("« Colosse » augmente « Puissance », que la fiche n'a pas"))
            wrong = TestAPI.armandSheet
            wrong["deck_rows"] = [["suit": "hearts", "ranks": []]]
            #expect(
                try await api.send(.PUT, path, token: t.table.player.token, json: wrong).error?.field == "deck_rows")
            wrong["deck_rows"] = [["suit": "hearts", "ranks": ["A", "A"]]]
            #expect(
                try await api.send(.PUT, path, token: t.table.player.token, json: wrong).error?.field
                    == "deck_rows[0].ranks")
            wrong = TestAPI.armandSheet
            wrong["characteristics"] = [["name": "", "value": 1]]
            #expect(
                try await api.send(.PUT, path, token: t.table.player.token, json: wrong).error?.field
                    == "characteristics[0].name")
            let unchanged = try await api.send(.GET, "/api/characters/\(t.armand.id)", token: t.table.player.token)
                .decode(CharacterResponse.self)
            #expect(unchanged.deck.cardCount == 3, "a refused sheet writes nothing")
        }
    }

    /// One A and the three pot figures: three draws in four turn over a figure, and 12 at once on
    /// one deck must never spend a figure twice. Without the conditional write the figures are each
    /// reported spent by several draws.
    @Test(arguments: TestDatabase.enabled)
    func simultaneousDrawsNeverSpendAPotFigureTwice(db: TestDatabase) async throws {
        try await withApp(db, configure: { $0.limits.draws.burst = 1000 }) { api in
            let t = try await CardTable.make(api)
            try await api.putSheet(t.armand, t.table.player, rows: [["suit": "hearts", "ranks": ["A"]]])
            for figure in ["J", "Q", "K"] { _ = try await api.pot(t.armand, t.table.player, add: figure) }
            let drawn = try await withThrowingTaskGroup(of: [CardResponse].self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        let response = try await api.drawCard(
                            t.session, t.table.player,
                            ["character_id": t.armand.id.uuidString, "visibility": "public"])
                        #expect(response.status == .created, "\(response.text)")
                        return try response.decode(DrawResponse.self).cards
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let potLabels = drawn.filter { $0.origin == "pot" }.map(\.label)
            #expect(potLabels.count == Set(potLabels).count, "spent twice: \(potLabels)")
            let character = try await api.send(.GET, "/api/characters/\(t.armand.id)", token: t.table.player.token)
                .decode(CharacterResponse.self)
            let spent = character.deck.pot.filter { $0.place == .spent }.map { "\($0.label) de cœur" }
            #expect(Set(spent) == Set(potLabels))
        }
    }

    /// Migration 010 on a database of before: a character keeps its suit as A–10, the pot and the
    /// joker of its newest session deck; an old draw (reshuffled, no effect) still reads.
    @Test(arguments: TestDatabase.enabled)
    func existingDecksAndDrawsMove(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let t = try await CardTable.make(api)
            let migration = MoveDecksToCharacters()
            try await migration.revert(on: api.db)
            let oldState =
                #"{"version":1,"figure":"hearts","hasPot":true,"hasJoker":true,"drawPile":[],"discardPile":[],"valueTable":{}}"#
            let now = Date()
            try await api.db.sql.insert(into: "session_decks")
                .columns(
                    "id", "session_id", "deck_key", "owner_id", "character_id", "state", "created_at", "updated_at"
                )
                .values(
                    SQLBind(UUID()), SQLBind(t.session.id), SQLBind(t.armand.id.uuidString), SQLBind(t.table.player.id),
                    SQLBind(t.armand.id), SQLBind(oldState), SQLBind(now), SQLBind(now)
                ).run()
            let oldResult = #"""
                {"request":{"characterName":"Armand","characteristic":{"name":"Agilité","value":3},"bonuses":[],"difficulty":9,"mode":"classic"},
                 "draw":{"first":{"rank":"7","suit":"spades","origin":"base"},"reshuffled":true},
                 "kept":{"rank":"7","suit":"spades","origin":"base"},"cardValue":7,"total":10,"outcome":"success","valueTableName":"current"}
                """#
            let old = SessionDraw()
            old.$session.id = t.session.id
            old.$user.id = t.table.player.id
            old.$character.id = t.armand.id
            old.mode = .classic
            old.visibility = .public
            old.result = oldResult
            old.total = 10
            old.createdAt = now
            try await old.create(on: api.db)
            try await migration.prepare(on: api.db)

            let armand = try await api.send(.GET, "/api/characters/\(t.armand.id)", token: t.table.player.token)
                .decode(CharacterResponse.self)
            #expect(armand.deck.rows == [DeckRow.newCharacter(.hearts)])
            #expect(armand.deck.joker && Rank.figures.allSatisfy { place(armand, $0) == .deck })
            #expect(armand.deck.cardCount == 14)
            let history = try await api.send(.GET, "/api/sessions/\(t.session.id)/draws", token: t.table.mj.token)
                .decode(Page<DrawResponse>.self)
            let read = try #require(history.items.first)
            #expect(read.reshuffled && read.effect == nil && read.total == 10)
            #expect(read.chatLine == "Armand tire le 7 de pique : 7 + Agilité 3 = 10 — RÉUSSITE (difficulté 9)")
        }
    }
}

@Suite struct ReferenceListsTests {
    static var example: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/reference-example.json").path
    }

    /// The example file loads, each list replaces the stored one, and the API lists them.
    @Test(arguments: TestDatabase.enabled)
    func theExampleFileLoads(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let user = try await api.register("lectrice")
            let lists = try ImportReferenceCommand.read(Self.example)
            try await ReferenceEntry.replace(with: lists, on: api.db)
            try await ReferenceEntry.replace(with: ReferenceLists(voies: [.init(name: "Onirisme")]), on: api.db)
            let read = try await api.send(.GET, "/api/reference", token: user.token).decode(ReferenceLists.self)
            #expect(read.professions.map(\.name) == ["Boxeur", "Horloger"])
            #expect(read.skills.first == .init(name: "Bagarre", parent: "Boxeur"))
            #expect(read.capacities.first?.raises == "Force")
            #expect(read.voies.map(\.name) == ["Onirisme"], "the second file's voies replaced the first's")
            #expect(try await api.send(.GET, "/api/reference").status == .unauthorized)
        }
    }

    @Test func badFilesAreRefusedWithOneLine() throws {
        let directory = FileManager.default.temporaryDirectory
        let orphan = directory.appendingPathComponent("orphan-\(UUID()).json")
        try Data(#"{"skills": [{"name": "Bagarre", "parent": "Boxeur"}]}"#.utf8).write(to: orphan)
        #expect {
            try ImportReferenceCommand.read(orphan.path)
        } throws: {
            "\($0)".contains("« Bagarre » se rattache à « Boxeur », absente de la liste des professions")
        }
        #expect {
            try ImportReferenceCommand.read("/nonexistent.json")
        } throws: {
            "\($0)".contains("n'existe pas")
        }
        try FileManager.default.removeItem(at: orphan)
    }
}
