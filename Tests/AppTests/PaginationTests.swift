import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Every list of the API pages alike, through Fluent's `Page` or the session list's own writer:
/// `?page=&per=` checked by the API (Fluent's own reading would clamp without a word), and the same
/// bytes on the wire whichever wrote them.
@Suite struct PaginationTests {
    @Test(arguments: TestDatabase.enabled)
    func everyListPagesAlike(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            // Three of each list, on top of what the card table already holds (a partie, Armand, a session).
            let (mj, player) = (t.table.mj, t.table.player)
            for index in 1...2 {
                _ = try await api.createPartie(mj, name: "Campagne \(index)")
                _ = try await api.createCharacter(player, name: "Personnage \(index)", partieID: t.table.partie.id)
                _ = try await api.createSession(t.table, name: "Session \(index)")
            }
            for index in 1...3 {
                let scenario = try await api.send(
                    .POST, "/api/scenarios", token: mj.token, json: ["title": "Scénario \(index)"])
                try #require(scenario.status == .created, "\(scenario.text)")
                let draw = try await api.drawCard(t.session, mj, ["visibility": "public"])
                try #require(draw.status == .created, "\(draw.text)")
            }
            let lists: [(path: String, token: String, defaultPer: Int)] = [
                ("/api/parties?", mj.token, 20),
                ("/api/scenarios?", mj.token, 50),
                ("/api/characters?", player.token, 50),
                ("/api/sessions?partie_id=\(t.table.partie.id)&", player.token, 20),
                ("/api/sessions/\(t.session.id)/draws?", mj.token, 20),
            ]
            for list in lists {
                let whole = try await api.send(.GET, list.path, token: list.token)
                #expect(whole.status == .ok, "\(list.path): \(whole.text)")
                #expect(
                    whole.text.hasSuffix(#""metadata":{"page":1,"per":\#(list.defaultPer),"total":3}}"#),
                    "\(list.path): \(whole.text)")
                #expect((whole.object["items"] as? [Any])?.count == 3, "\(list.path)")

                let last = try await api.send(.GET, list.path + "per=2&page=2", token: list.token)
                #expect(Set(last.object.keys) == ["items", "metadata"], "\(list.path)")
                #expect(last.text.hasSuffix(#""metadata":{"page":2,"per":2,"total":3}}"#), "\(list.path): \(last.text)")
                #expect((last.object["items"] as? [Any])?.count == 1, "\(list.path)")

                let beyond = try await api.send(.GET, list.path + "per=2&page=9", token: list.token)
                #expect(
                    beyond.text == #"{"items":[],"metadata":{"page":9,"per":2,"total":3}}"#,
                    "\(list.path): \(beyond.text)")

                let refused: [(query: String, field: String, reason: String)] = [
                    ("per=0", "per", "doit être compris entre 1 et 100."),
                    ("per=101", "per", "doit être compris entre 1 et 100."),
                    ("page=0", "page", "doit être compris entre 1 et 100000."),
                    ("page=100001", "page", "doit être compris entre 1 et 100000."),
                    ("per=deux", "per", "doit être un entier."),
                ]
                for (query, field, reason) in refused {
                    let response = try await api.send(.GET, list.path + query, token: list.token)
                    #expect(response.status == .badRequest, "\(list.path)\(query)")
                    #expect(response.error?.field == field, "\(list.path)\(query): \(response.text)")
                    #expect(response.error?.reason.hasSuffix(reason) == true, "\(list.path)\(query): \(response.text)")
                }
            }
        }
    }
}
