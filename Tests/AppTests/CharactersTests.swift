import Fluent
import Foundation
import Testing
import Vapor

@testable import App

@Suite struct CharactersTests {
    @Test(arguments: TestDatabase.enabled)
    func createListAndRead(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let mine = try await api.createCharacter(
                table.player, name: "Armand de Montfort", partieID: table.partie.id)
            #expect(mine.userId == table.player.id)
            #expect(mine.partieId == table.partie.id)
            let loose = try await api.createCharacter(table.player, name: "Sans partie")
            #expect(loose.partieId == nil)

            let list = try await api.send(.GET, "/api/characters", token: table.player.token).decode(
                Page<CharacterResponse>.self)
            #expect(Set(list.items.map(\.id)) == [mine.id, loose.id])
            let filtered = try await api.send(
                .GET, "/api/characters?partie_id=\(table.partie.id)", token: table.player.token
            )
            .decode(Page<CharacterResponse>.self)
            #expect(filtered.items.map(\.id) == [mine.id])
            #expect(
                try await api.send(.GET, "/api/characters", token: table.mj.token).decode(Page<CharacterResponse>.self)
                    .items.isEmpty)

            // The MJ sees the characters of the partie; a stranger sees none of them.
            #expect(try await api.send(.GET, "/api/characters/\(mine.id)", token: table.mj.token).status == .ok)
            #expect(try await api.send(.GET, "/api/characters/\(loose.id)", token: table.mj.token).status == .notFound)
            #expect(
                try await api.send(.GET, "/api/characters/\(mine.id)", token: table.outsider.token).status == .notFound)
            #expect(
                try await api.send(.GET, "/api/characters/\(UUID())", token: table.player.token).status == .notFound)
            #expect(
                try await api.send(.GET, "/api/characters/not-a-uuid", token: table.player.token).status == .badRequest)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func charactersOnlyJoinOwnParties(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let foreign = try await api.send(
                .POST, "/api/characters", token: table.outsider.token,
                json: ["name": "Intrus", "partie_id": table.partie.id])
            #expect(foreign.status == .notFound)
            let blank = try await api.send(.POST, "/api/characters", token: table.player.token, json: ["name": " "])
            #expect(blank.error?.field == "name")
            #expect(try await Character.query(on: api.db).count() == 0)
        }
    }
}
