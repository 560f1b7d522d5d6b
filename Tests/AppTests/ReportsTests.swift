import EtrangeDomain
import Foundation
import Testing
import Vapor

@testable import App

@Suite struct ReportsTests {
    /// Two evenings: Zoé misses the first, Léa joins the partie after it.
    private struct Campaign {
        let table: Table
        let armand: CharacterResponse
        let zoe: TestUser
        let lea: TestUser
        let first: SessionResponse
        let second: SessionResponse
    }

    private func play(_ api: TestAPI) async throws -> Campaign {
        let table = try await Table.make(api)
        let armand = try await api.createCharacter(table.player, name: "Armand *le Brave*", partieID: table.partie.id)
        let (zoe, zoeCharacter) = try await api.newPlayer(table, "zoe")

        let first = try await api.session(in: .active, table)
        try #require(try await api.joinSession(first, table.player, character: armand).status.code < 300)
        try #require(
            try await api.send(.POST, "/api/sessions/\(first.id)/presence", token: table.mj.token).status == .ok)
        let publicDraw = try await api.drawCard(
            first, table.player,
            [
                "character_id": armand.id.uuidString, "mode": "classic", "reason": "Forcer la porte",
                "visibility": "public",
            ])
        try #require(publicDraw.status == .created, "\(publicDraw.text)")
        let secretDraw = try await api.drawCard(
            first, table.player,
            [
                "character_id": armand.id.uuidString, "mode": "classic", "reason": "Mentir au curé", "visibility": "mj",
            ])
        try #require(secretDraw.status == .created, "\(secretDraw.text)")
        api.clock.advance(by: 90 * 60)
        let ended = try await api.move(
            first, .end, table,
            json: [
                "summary": "Les personnages ont ouvert la crypte.",
                "notes": "Le curé est le coupable : ne rien dire.",
                "key_events": [["event": "La crypte s'ouvre", "timestamp": "2025-01-20T20:30:00Z"]],
                "character_developments": [
                    ["character_id": armand.id.uuidString, "description": "Armand perd la foi."]
                ],
            ])
        try #require(ended.status == .ok, "\(ended.text)")

        let lea = try await api.register("lea")
        try await api.join(lea, table.partie)
        let second = try await api.session(in: .active, table)
        try #require(try await api.joinSession(second, table.player, character: armand).status.code < 300)
        try #require(try await api.joinSession(second, zoe, character: zoeCharacter).status.code < 300)
        api.clock.advance(by: 30 * 60)
        try #require(try await api.move(second, .end, table, json: ["summary": "Retour au village."]).status == .ok)
        return Campaign(table: table, armand: armand, zoe: zoe, lea: lea, first: first, second: second)
    }

    @Test(arguments: TestDatabase.enabled)
    func attendanceCountsWhoCameAndForHowLong(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let c = try await play(api)
            let response = try await api.send(.GET, "/api/parties/\(c.table.partie.id)/attendance", token: c.zoe.token)
            try #require(response.status == .ok, "\(response.text)")
            let report = try response.decode(AttendanceResponse.self)
            #expect(report.sessions.map(\.sessionId) == [c.first.id, c.second.id])
            #expect(report.sessions[0].attendees.map(\.userId).sorted() == [c.table.mj.id, c.table.player.id].sorted())
            let byUser = Dictionary(uniqueKeysWithValues: report.players.map { ($0.userId, $0) })
            let armand = try #require(byUser[c.table.player.id])
            #expect(armand.attended == 2 && armand.missed == 0)
            #expect(armand.minutesPlayed == 120, "90 + 30 minutes")
            let zoe = try #require(byUser[c.zoe.id])
            #expect(zoe.sessions.map(\.status) == [.missed, .attended])
            #expect(zoe.attended == 1 && zoe.missed == 1 && zoe.minutesPlayed == 30)
            let lea = try #require(byUser[c.lea.id])
            #expect(lea.sessions.map(\.status) == [.notMember, .missed], "not counted absent before she joined")
            #expect(report.players.first?.isMj == true, "the MJ first")

            #expect(
                try await api.send(.GET, "/api/parties/\(c.table.partie.id)/attendance", token: c.table.outsider.token)
                    .status == .notFound)
            #expect(try await api.send(.GET, "/api/parties/\(c.table.partie.id)/attendance").status == .unauthorized)
            #expect(try await api.send(.GET, "/api/parties/abc/attendance", token: c.zoe.token).status == .badRequest)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func recapsAreSafeToHandToPlayers(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let c = try await play(api)
            let path = "/api/sessions/\(c.first.id)/recap.md"
            let forPlayer = try await api.send(.GET, path, token: c.zoe.token)
            try #require(forPlayer.status == .ok, "\(forPlayer.text)")
            #expect(forPlayer.headers.contentType?.description.hasPrefix("text/markdown") == true)
            #expect(forPlayer.headers.first(name: .contentDisposition)?.contains("vers-active.md") == true)
            let text = forPlayer.text
            #expect(text.hasPrefix("# Vers active\n"))
            #expect(text.contains("Les personnages ont ouvert la crypte."))
            #expect(text.contains("- **21:30** — La crypte s'ouvre"), "in Paris time")
            #expect(
                text.contains("- **Armand \\*le Brave\\*** : Armand perd la foi."),
                "names escaped, not turned into markup")
            #expect(text.contains("| armand | Armand \\*le Brave\\* | joueur | 1 h 30 |"))
            #expect(text.contains("Forcer la porte"))
            #expect(text.contains("lundi 20 janvier 2025 à 21:00 (Europe/Paris)"))
            let montreal = try await api.send(.GET, path + "?tz=America/Montreal", token: c.zoe.token).text
            #expect(montreal.contains("lundi 20 janvier 2025 à 15:00 (America/Montreal)"))
            let badZone = try await api.send(.GET, path + "?tz=Mars/Olympus", token: c.zoe.token)
            #expect(badZone.status == .badRequest && badZone.error?.field == "tz")
            #expect(!text.contains("Mentir au curé"), "a secret draw stays the MJ's")
            #expect(!text.contains("Le curé est le coupable"), "the MJ's notes never reach a player")

            let forMJ = try await api.send(.GET, path, token: c.table.mj.token).text
            #expect(forMJ.contains("Le curé est le coupable"))
            #expect(forMJ.contains("Mentir au curé"))

            let log = try await api.send(.GET, "/api/parties/\(c.table.partie.id)/log.md", token: c.lea.token)
            try #require(log.status == .ok)
            #expect(log.text.hasPrefix("# Journal de campagne — La Campagne\n"))
            let first = try #require(log.text.range(of: "Les personnages ont ouvert la crypte."))
            let second = try #require(log.text.range(of: "Retour au village."))
            #expect(first.lowerBound < second.lowerBound, "oldest first")
            #expect(!log.text.contains("Le curé est le coupable"))
            #expect(
                try await api.send(.GET, "/api/parties/\(c.table.partie.id)/log.md", token: c.table.mj.token).text
                    .contains("Le curé est le coupable"))

            #expect(try await api.send(.GET, path, token: c.table.outsider.token).status == .notFound)
            #expect(try await api.send(.GET, path).status == .unauthorized)
            #expect(try await api.send(.GET, "/api/sessions/nope/recap.md", token: c.zoe.token).status == .badRequest)
            #expect(
                try await api.send(.GET, "/api/parties/\(c.table.partie.id)/log.md", token: c.table.outsider.token)
                    .status == .notFound)
        }
    }
    /// A player's draw reason is free text; whatever line break it carries (`\r`, `\r\n`, U+2028 or
    /// U+2029), it stays inside its bullet and cannot open a heading of its own.
    @Test(arguments: TestDatabase.enabled)
    func exportsKeepTheirStructureWhateverTheLineBreaks(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let armand = try await api.armand(table)
            let session = try await api.session(in: .active, table)
            try #require(try await api.joinSession(session, table.player, character: armand).status.code < 300)
            let breaks = ["\r", "\r\n", "\u{2028}", "\u{2029}"]
            for separator in breaks {
                let reason =
                    "Forcer la porte\(separator)Notes du MJ (privées)\(separator)===\(separator)Le curé est innocent"
                let draw = try await api.drawCard(
                    session, table.player,
                    [
                        "character_id": armand.id.uuidString, "mode": "classic", "reason": reason,
                        "visibility": "public",
                    ])
                try #require(draw.status == .created, "\(draw.text)")
            }
            try #require(try await api.move(session, .end, table, json: ["summary": "Fin."]).status == .ok)

            for reader in [table.player, table.mj] {
                let text = try await api.send(.GET, "/api/sessions/\(session.id)/recap.md", token: reader.token).text
                let lines = text.split(omittingEmptySubsequences: false) { $0.isNewline }
                let reasons = lines.filter { $0.contains("innocent") }
                #expect(reasons.count == breaks.count)
                #expect(reasons.allSatisfy { $0.hasPrefix("- ") && $0.contains("Forcer la porte") }, "\(reasons)")
                #expect(!lines.contains { $0.hasPrefix("=") || $0.hasPrefix("Notes du MJ") }, "no setext heading")
            }
        }
    }
}
