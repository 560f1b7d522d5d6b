import Foundation
import Testing
import Vapor

@testable import App

@Suite struct LimitsTests {
    @Test(arguments: TestDatabase.enabled)
    func passwordGuessingIsSlowedPerAccount(db: TestDatabase) async throws {
        try await withApp(db) { api in
            _ = try await api.register("cible", password: "la-bonne-phrase")
            for _ in 0..<10 {
                #expect(try await api.login("cible", "devinette").status == .unauthorized)
            }
            let blocked = try await api.login("cible", "la-bonne-phrase")
            #expect(blocked.status == .tooManyRequests)
            let retry = try #require(blocked.headers.first(name: .retryAfter).flatMap(Int.init))
            #expect(retry > 0 && retry <= 90)
            // Other accounts are not locked out by someone else's guesses.
            _ = try await api.register("voisin", password: "une-autre-phrase")
            #expect(try await api.login("voisin", "une-autre-phrase").status == .ok)
            api.clock.advance(by: Double(retry))
            #expect(try await api.login("cible", "la-bonne-phrase").status == .ok)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func chatDrawsAndHeartbeatsHaveAllowances(db: TestDatabase) async throws {
        try await withCardTable(
            db,
            configure: {
                $0.limits.chat.burst = 3
                $0.limits.draws.burst = 2
                $0.limits.heartbeats.burst = 2
            }
        ) { api, t in
            let chat = "/api/sessions/\(t.session.id)/messages"
            for _ in 0..<3 {
                #expect(
                    try await api.send(.POST, chat, token: t.table.player.token, json: ["body": "vite"]).status
                        == .created)
            }
            let flooded = try await api.send(.POST, chat, token: t.table.player.token, json: ["body": "encore"])
            #expect(flooded.status == .tooManyRequests && flooded.headers.first(name: .retryAfter) != nil)
            let body: [String: Any] = ["character_id": t.armand.id.uuidString, "visibility": "public"]
            for _ in 0..<2 { #expect(try await api.drawCard(t.session, t.table.player, body).status == .created) }
            #expect(try await api.drawCard(t.session, t.table.player, body).status == .tooManyRequests)
            let beat = "/api/sessions/\(t.session.id)/presence"
            for _ in 0..<2 { #expect(try await api.send(.POST, beat, token: t.table.player.token).status == .ok) }
            #expect(try await api.send(.POST, beat, token: t.table.player.token).status == .tooManyRequests)
            api.clock.advance(by: 60)
            #expect(
                try await api.send(.POST, chat, token: t.table.player.token, json: ["body": "enfin"]).status == .created
            )
        }
    }
}
