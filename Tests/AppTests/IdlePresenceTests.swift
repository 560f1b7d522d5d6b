import EtrangeDomain
import Foundation
import Testing
import Vapor

@testable import App

@Suite struct IdlePresenceTests {
    private func status(of user: TestUser, in session: SessionResponse, _ api: TestAPI, as viewer: TestUser)
        async throws -> PresenceResponse?
    {
        try await api.presence(session, as: viewer).first { $0.userId == user.id }
    }

    @Test(arguments: TestDatabase.enabled)
    func quietPeopleTurnIdleAndComeBackAnnounced(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await api.armandPlaying(table).session
            let watcher = try await LiveClient.connect(api, session: session.id, token: table.mj.token)
            // The MJ's connection counts at the pinned start, before the clock moves.
            try await watcher.waitFor("the MJ online") {
                $0.contains { $0.type == "presence.online" && $0.data["user_id"] as? Int == table.mj.id }
            }
            let idleAfter = api.app.config.idleAfter
            #expect(idleAfter == 300, "five minutes by default")

            // Heartbeats keep the connection, not the person: four minutes of them, then silence.
            for _ in 0..<8 {
                api.clock.advance(by: 30)
                let beat = try await api.send(.POST, "/api/sessions/\(session.id)/presence", token: table.player.token)
                #expect(beat.status == .ok)
            }
            #expect(try await Participation.markIdle(now: api.clock.now(), after: idleAfter, on: api.db).isEmpty)
            var armandNow = try #require(try await status(of: table.player, in: session, api, as: table.mj))
            #expect(armandNow.status == .online, "4 minutes without a sign is not idle yet")

            api.clock.advance(by: 61)
            #expect(
                try await Participation.markIdle(now: api.clock.now(), after: idleAfter, on: api.db) == [session.id])
            await api.app.live.poke(session.id)
            armandNow = try #require(try await status(of: table.player, in: session, api, as: table.player))
            #expect(armandNow.status == .idle)
            #expect(armandNow.isOnline, "idle is still connected")
            #expect(
                armandNow.idleSince == pinnedStart.addingTimeInterval(idleAfter),
                "idle from the fifth minute of silence")
            #expect(
                try await Participation.markIdle(now: api.clock.now(), after: idleAfter, on: api.db).isEmpty,
                "announced once")
            let participants = try await api.participants(session, as: table.player)
            #expect(participants.first { $0.userId == table.player.id }?.presence == .idle)
            try await watcher.waitFor("presence.idle") {
                $0.contains { $0.type == "presence.idle" && $0.data["user_id"] as? Int == table.player.id }
            }

            // A chat message is a sign of life.
            let said = try await api.send(
                .POST, "/api/sessions/\(session.id)/messages", token: table.player.token, json: ["body": "Je suis là !"]
            )
            #expect(said.status == .created, "\(said.text)")
            #expect(try await status(of: table.player, in: session, api, as: table.mj)?.status == .online)
            try await watcher.waitFor("presence.active") {
                $0.contains { $0.type == "presence.active" && $0.data["user_id"] as? Int == table.player.id }
            }

            // So is a heartbeat that says so; a plain one is not.
            #expect(try await status(of: table.mj, in: session, api, as: table.mj)?.status == .idle)
            try #require(
                try await api.send(.POST, "/api/sessions/\(session.id)/presence", token: table.mj.token).status == .ok)
            #expect(try await status(of: table.mj, in: session, api, as: table.mj)?.status == .idle)
            let active = try await api.send(
                .POST, "/api/sessions/\(session.id)/presence", token: table.mj.token, json: ["active": true])
            #expect(try active.decode(PresenceResponse.self).status == .online)
            let bad = try await api.send(
                .POST, "/api/sessions/\(session.id)/presence", token: table.mj.token, json: ["active": "oui"])
            #expect(bad.status == .badRequest)
            #expect(bad.error?.field == "active")

            // And a frame from the page over the live channel.
            try await Participation.markIdle(
                now: api.clock.now().addingTimeInterval(idleAfter + 1), after: idleAfter, on: api.db)
            await api.app.live.poke(session.id)
            #expect(try await status(of: table.mj, in: session, api, as: table.mj)?.status == .idle)
            watcher.send(#"{"type":"active"}"#)
            try await watcher.waitFor("the MJ active a second time") {
                $0.filter { $0.type == "presence.active" && $0.data["user_id"] as? Int == table.mj.id }.count == 2
            }
            #expect(try await status(of: table.mj, in: session, api, as: table.player)?.status == .online)
            try await watcher.close()
        }
    }
}
