import Foundation
import Testing
import Vapor

@testable import App

/// Every text field is bounded in bytes and in stacked marks, not only in characters.
@Suite struct TextLimitsTests {
    /// One character: a letter under 30,000 combining accents, 60 KB.
    static let heavy = "a" + String(repeating: "\u{301}", count: 30_000)

    @Test(arguments: TestDatabase.enabled)
    func everyTextFieldRefusesOneHeavyCharacter(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            let (mj, player) = (t.table.mj.token, t.table.player.token)
            let session = "/api/sessions/\(t.session.id)"
            let heavy = Self.heavy
            let draw: [String: Any] = ["visibility": "public", "character_id": t.armand.id.uuidString]
            let cases: [(String, String, String, [String: Any], String)] = [
                ("POST", session + "/messages", player, ["body": heavy], "body"),
                ("POST", session + "/draws", player, draw.merging(["reason": heavy]) { $1 }, "reason"),
                (
                    "POST", session + "/draws", player,
                    draw.merging([
                        "mode": "classic", "difficulty": 5,
                        "characteristic": ["name": heavy, "value": 1],
                    ]) { $1 }, "characteristic.name"
                ),
                (
                    "POST", session + "/draws", player,
                    draw.merging([
                        "mode": "classic", "difficulty": 5, "characteristic": ["name": "Force", "value": 1],
                        "bonuses": [["name": heavy, "value": 1]],
                    ]) { $1 }, "bonuses[0].name"
                ),
                ("POST", "/api/sessions", mj, ["partie_id": t.table.partie.id, "name": heavy], "name"),
                (
                    "POST", "/api/sessions", mj,
                    ["partie_id": t.table.partie.id, "name": "Soirée", "description": heavy], "description"
                ),
                ("PUT", session, mj, ["summary": heavy], "summary"),
                ("PUT", session, mj, ["notes": heavy], "notes"),
                ("PUT", session, mj, ["voice_channel_id": heavy], "voice_channel_id"),
                (
                    "PUT", session, mj, ["key_events": [["event": heavy, "timestamp": "2025-01-20T20:00:00Z"]]],
                    "key_events[0].event"
                ),
                (
                    "PUT", session, mj,
                    ["character_developments": [["character_id": t.armand.id.uuidString, "description": heavy]]],
                    "character_developments[0].description"
                ),
                ("POST", "/api/parties", mj, ["name": heavy], "name"),
                ("PUT", "/api/parties/\(t.table.partie.id)", mj, ["name": heavy], "name"),
                ("POST", "/api/scenarios", mj, ["title": heavy], "title"),
                ("POST", "/api/scenarios", mj, ["title": "Titre", "description": heavy], "description"),
                ("POST", "/api/characters", player, ["name": heavy], "name"),
                (
                    "POST", "/api/auth/register", "",
                    ["username": "lourd", "password": "motdepasse", "display_name": heavy], "display_name"
                ),
                ("POST", "/api/parties/join", player, ["invite_code": heavy], "invite_code"),
            ]
            for (method, path, token, body, field) in cases {
                let response = try await api.send(
                    HTTPMethod(rawValue: method), path, token: token.isEmpty ? nil : token, json: body)
                #expect(
                    response.status == .badRequest,
                    "\(method) \(path) \(field): \(response.status) \(response.reason.prefix(200))")
                #expect(response.error?.field == field, "\(method) \(path): \(response.reason.prefix(200))")
            }
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func reasonsSayWhatIsTooHeavy(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let user = try await api.register("auteur")
            let bytes = try await api.send(.POST, "/api/characters", token: user.token, json: ["name": Self.heavy])
            #expect(bytes.reason == "name : doit tenir en 400 octets au plus (UTF-8).")
            let stacked = try await api.send(
                .POST, "/api/characters", token: user.token, json: ["name": "Zo\u{334}\u{335}\u{336}\u{337}\u{338}e"])
            #expect(stacked.reason == "name : 4 accents ou signes combinés au plus sur un même caractère.")
        }
    }

    /// `VARCHAR(100)` holds 100 code points on PostgreSQL, and a decomposed « é » is two: such
    /// names were a 500 there, and stored as sent on SQLite.
    @Test(arguments: TestDatabase.enabled)
    func namesFitTheirColumns(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let user = try await api.register("colonnes")
            let decomposed = try await api.send(
                .POST, "/api/characters", token: user.token,
                json: ["name": String(repeating: "e\u{301}", count: 60)])
            #expect(decomposed.status == .created, "\(decomposed.reason)")
            #expect(try decomposed.decode(CharacterResponse.self).name == String(repeating: "é", count: 60))
            let stacked = try await api.send(
                .POST, "/api/characters", token: user.token,
                json: ["name": String(repeating: "a\u{334}\u{335}", count: 40)])
            #expect(stacked.status == .badRequest && stacked.error?.field == "name")
            #expect(stacked.reason.contains("100 points de code"))
        }
    }
}
