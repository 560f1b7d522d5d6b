import EtrangeDomain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

extension TestAPI {
    @discardableResult
    func joinSession(_ session: SessionResponse, _ user: TestUser, character: CharacterResponse?) async throws
        -> APIResponse
    {
        var body: [String: Any] = [:]
        if let character { body["character_id"] = character.id.uuidString }
        return try await send(.POST, "/api/sessions/\(session.id)/join", token: user.token, json: body)
    }

    /// The usual evening: the table's player seated, as Armand, in a session under way.
    func armandPlaying(_ table: Table) async throws -> (session: SessionResponse, armand: CharacterResponse) {
        let armand = try await self.armand(table)
        let session = try await session(in: .active, table)
        try #require(try await joinSession(session, table.player, character: armand).status == .ok)
        return (session, armand)
    }

    func presence(_ session: SessionResponse, as user: TestUser) async throws -> [PresenceResponse] {
        try await send(.GET, "/api/sessions/\(session.id)/presence", token: user.token).decode()
    }

    func participants(_ session: SessionResponse, as user: TestUser) async throws -> [ParticipantResponse] {
        try await send(.GET, "/api/sessions/\(session.id)/participants", token: user.token).decode()
    }

    /// A member of the table's partie with a character of their own.
    func newPlayer(_ table: Table, _ name: String) async throws -> (TestUser, CharacterResponse) {
        let user = try await register(name)
        try await join(user, table.partie)
        return (user, try await createCharacter(user, name: "Perso de \(name)", partieID: table.partie.id))
    }
}

@Suite struct PresenceTests {
    @Test(arguments: TestDatabase.enabled)
    func joiningAScheduledSessionTakesASeatInAdvance(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let character = try await api.armand(table)
            let session = try await api.createSession(table)
            let joined = try await api.joinSession(session, table.player, character: character)
            #expect(joined.status == .ok, "\(joined.text)")
            let participant = try joined.decode(ParticipantResponse.self)
            #expect(participant.role == .player && participant.isActive && !participant.isOnline)
            #expect(participant.characterName == "Armand")
            #expect(try await api.presence(session, as: table.mj).isEmpty)
            let seen = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.player.token).decode(
                SessionResponse.self)
            #expect(seen.seatedPlayers == 1 && seen.onlineCount == 0 && seen.canJoin)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func joiningARunningSessionIsPresenceAtOnce(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let character = try await api.armand(table)
            let session = try await api.session(in: .active, table)
            api.clock.advance(by: 5)
            let joined = try await api.send(
                .POST, "/api/sessions/\(session.id)/join", token: table.player.token,
                json: ["session_id": session.id.uuidString, "character_id": character.id.uuidString])
            #expect(joined.status == .ok)
            api.clock.advance(by: 1)
            let master = try await api.joinSession(session, table.mj, character: nil).decode(ParticipantResponse.self)
            #expect(master.role == .master)
            let online = try await api.presence(session, as: table.player)
            #expect(online.map(\.userId) == [table.player.id, table.mj.id])
            let armand = try #require(online.first)
            #expect(armand.username == "armand" && armand.characterName == "Armand")
            #expect(armand.joinedAt == pinnedStart.addingTimeInterval(5) && armand.lastSeen == armand.joinedAt)
            let seen = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.mj.token).decode(
                SessionResponse.self)
            #expect(seen.seatedPlayers == 1 && seen.onlineCount == 2)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func joinRefusals(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let mine = try await api.armand(table)
            let (other, theirs) = try await api.newPlayer(table, "berenice")
            let elsewhere = try await api.createPartie(table.player, name: "Ailleurs")
            let foreign = try await api.createCharacter(table.player, name: "Étranger", partieID: elsewhere.id)
            let session = try await api.createSession(table, extra: ["max_players": 1])
            let path = "/api/sessions/\(session.id)/join"

            #expect(try await api.send(.POST, path, token: table.outsider.token, json: [:]).status == .notFound)
            #expect(try await api.send(.POST, path, json: [:]).status == .unauthorized)
            #expect(try await api.joinSession(session, table.player, character: theirs).error?.field == "character_id")
            #expect(try await api.joinSession(session, table.player, character: foreign).error?.field == "character_id")
            #expect(try await api.joinSession(session, table.player, character: nil).error?.field == "character_id")
            let mismatch = try await api.send(
                .POST, path, token: table.player.token,
                json: ["session_id": UUID().uuidString, "character_id": mine.id.uuidString])
            #expect(mismatch.error?.field == "session_id")

            #expect(try await api.joinSession(session, table.player, character: mine).status == .ok)
            let full = try await api.joinSession(session, other, character: theirs)
            #expect(full.status == .conflict)
            #expect(full.reason.contains("complète"))
            // The MJ never takes a player's seat.
            #expect(try await api.joinSession(session, table.mj, character: nil).status == .ok)

            try await api.move(session, .start, table)
            try await api.move(session, .end, table)
            let finished = try await api.joinSession(session, table.player, character: mine)
            #expect(finished.status == .conflict)
            #expect(finished.reason.contains("completed"))
            #expect(try await SessionParticipant.query(on: api.db).filter(\.$user.$id == other.id).count() == 0)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func lateJoinOnlyForThoseWhoHeldASeat(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let armand = try await api.armand(table)
            let (late, lateCharacter) = try await api.newPlayer(table, "retardataire")
            let session = try await api.createSession(table, extra: ["allow_late_join": false])
            try await api.joinSession(session, table.player, character: armand)
            try await api.move(session, .start, table)
            let refused = try await api.joinSession(session, late, character: lateCharacter)
            #expect(refused.status == .conflict)
            #expect(refused.reason.contains("arrivées tardives"))
            let asLate = try await api.send(.GET, "/api/sessions/\(session.id)", token: late.token).decode(
                SessionResponse.self)
            #expect(!asLate.canJoin)
            // Someone who held a seat comes back even after leaving it.
            #expect(
                try await api.send(.POST, "/api/sessions/\(session.id)/leave", token: table.player.token).status == .ok)
            #expect(try await api.joinSession(session, table.player, character: armand).status == .ok)
            // The MJ may still seat a latecomer.
            let added = try await api.send(
                .POST, "/api/sessions/\(session.id)/participants", token: table.mj.token,
                json: ["user_id": late.id, "character_id": lateCharacter.id.uuidString])
            #expect(added.status == .created)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func reconnectionKeepsTheSeat(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let first = try await api.armand(table)
            let second = try await api.createCharacter(table.player, name: "Armande", partieID: table.partie.id)
            let session = try await api.createSession(table, extra: ["max_players": 1])
            try await api.move(session, .start, table)
            try await api.joinSession(session, table.player, character: first)
            #expect(
                try await api.send(.DELETE, "/api/sessions/\(session.id)/presence", token: table.player.token).status
                    == .noContent)
            #expect(try await api.presence(session, as: table.mj).isEmpty)
            let presenceRow = try #require(try await SessionPresence.query(on: api.db).first())
            #expect(!presenceRow.isOnline && presenceRow.leftAt == pinnedStart)

            api.clock.advance(by: 120)
            let again = try await api.joinSession(session, table.player, character: second)
            #expect(again.status == .ok)
            #expect(try again.decode(ParticipantResponse.self).characterName == "Armande")
            let online = try await api.presence(session, as: table.mj)
            #expect(online.count == 1)
            #expect(online.first?.lastSeen == pinnedStart.addingTimeInterval(120))
            #expect(online.first?.joinedAt == pinnedStart)
            #expect(online.first?.characterName == "Armande")
            #expect(try await SessionPresence.query(on: api.db).count() == 1)
            #expect(try await SessionParticipant.query(on: api.db).count() == 1)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func leavingFreesTheSeat(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let armand = try await api.armand(table)
            let (other, theirs) = try await api.newPlayer(table, "berenice")
            let session = try await api.createSession(table, extra: ["max_players": 1])
            try await api.move(session, .start, table)
            try await api.joinSession(session, table.player, character: armand)
            #expect(try await api.joinSession(session, other, character: theirs).status == .conflict)
            api.clock.advance(by: 600)
            let left = try await api.send(.POST, "/api/sessions/\(session.id)/leave", token: table.player.token)
            #expect(left.status == .ok)
            let gone = try left.decode(ParticipantResponse.self)
            #expect(!gone.isActive && !gone.isOnline)
            #expect(gone.leftAt == pinnedStart.addingTimeInterval(600))
            #expect(gone.totalTimeMinutes == 10)
            #expect(try await api.joinSession(session, other, character: theirs).status == .ok)
            #expect(
                try await api.send(.POST, "/api/sessions/\(session.id)/leave", token: table.player.token).status
                    == .conflict)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func heartbeatsOnlyForSeatedParticipants(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let armand = try await api.armand(table)
            let session = try await api.createSession(table)
            let path = "/api/sessions/\(session.id)/presence"
            try await api.joinSession(session, table.player, character: armand)
            #expect(try await api.send(.POST, path, token: table.player.token).status == .conflict)
            try await api.move(session, .start, table)
            // The MJ needs no seat first: a heartbeat seats them as master.
            #expect(try await api.send(.POST, path, token: table.mj.token).status == .ok)
            #expect(
                try await api.participants(session, as: table.mj).contains {
                    $0.userId == table.mj.id && $0.role == .master
                })
            #expect(try await api.send(.POST, path, token: table.outsider.token).status == .notFound)
            api.clock.advance(by: 30)
            let beat = try await api.send(.POST, path, token: table.player.token)
            #expect(beat.status == .ok)
            #expect(try beat.decode(PresenceResponse.self).lastSeen == pinnedStart.addingTimeInterval(30))
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func silentPhonesAreSweptOffline(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let armand = try await api.armand(table)
            let (other, theirs) = try await api.newPlayer(table, "berenice")
            let session = try await api.session(in: .active, table)
            try await api.joinSession(session, table.player, character: armand)
            try await api.joinSession(session, other, character: theirs)
            api.clock.advance(by: 40)
            try await api.send(.POST, "/api/sessions/\(session.id)/presence", token: other.token)
            api.clock.advance(by: 21)
            let swept = try await Participation.sweep(now: api.clock.now(), timeout: 60, on: api.db)
            #expect(swept.map(\.1) == [table.player.id])
            #expect(try await api.presence(session, as: table.mj).map(\.userId) == [other.id])
            // Time stops at the last sign of life, not at the sweep.
            let armandRow = try await api.participants(session, as: table.mj).first { $0.userId == table.player.id }
            #expect(armandRow?.isActive == true && armandRow?.isOnline == false)
            #expect(try await Participation.sweep(now: api.clock.now(), timeout: 60, on: api.db).isEmpty)
        }
    }

    /// Time played counts only the minutes online while the session is active.
    @Test(arguments: TestDatabase.enabled)
    func timePlayedExcludesPausesAndAbsences(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let armand = try await api.armand(table)
            let session = try await api.createSession(table)
            try await api.joinSession(session, table.player, character: armand)
            api.clock.advance(by: 3600)
            try await api.move(session, .start, table)
            try await api.send(.POST, "/api/sessions/\(session.id)/presence", token: table.player.token)
            api.clock.advance(by: 30 * 60)
            try await api.move(session, .pause, table)
            api.clock.advance(by: 10 * 60)
            try await api.move(session, .resume, table)
            api.clock.advance(by: 20 * 60)
            try await api.send(.DELETE, "/api/sessions/\(session.id)/presence", token: table.player.token)
            api.clock.advance(by: 15 * 60)
            try await api.send(.POST, "/api/sessions/\(session.id)/presence", token: table.player.token)
            api.clock.advance(by: 10 * 60 + 30)
            let live = try await api.participants(session, as: table.player)
            #expect(live.first?.totalTimeMinutes == 60)
            let ended = try await api.move(session, .end, table).decode(SessionResponse.self)
            #expect(ended.durationMinutes == 75)
            #expect(ended.onlineCount == 0)
            api.clock.advance(by: 3600)
            let final = try await api.participants(session, as: table.player)
            #expect(final.count == 1)
            #expect(final[0].totalTimeMinutes == 60)
            #expect(!final[0].isActive && !final[0].isOnline)
            #expect(final[0].leftAt == ended.endedAt)
            #expect(try await SessionParticipant.query(on: api.db).first()?.totalTimeMinutes == 60)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func theMJSeatsMembers(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let (second, secondCharacter) = try await api.newPlayer(table, "berenice")
            let session = try await api.createSession(table, extra: ["max_players": 1])
            let path = "/api/sessions/\(session.id)/participants"
            #expect(
                try await api.send(.POST, path, token: table.player.token, json: ["user_id": second.id]).status
                    == .forbidden)
            #expect(
                try await api.send(.POST, path, token: table.mj.token, json: ["user_id": table.outsider.id]).error?
                    .field == "user_id")
            #expect(
                try await api.send(
                    .POST, path, token: table.mj.token, json: ["user_id": second.id, "role": "spectateur"]
                ).error?.field == "role")
            let observer = try await api.send(
                .POST, path, token: table.mj.token, json: ["user_id": table.player.id, "role": "observer"])
            #expect(observer.status == .created)
            let player = try await api.send(
                .POST, path, token: table.mj.token,
                json: ["user_id": second.id, "role": "player", "character_id": secondCharacter.id.uuidString])
            #expect(player.status == .created)
            // The observer sat apart; now the only seat is taken.
            let promoted = try await api.send(
                .POST, path, token: table.mj.token, json: ["user_id": table.player.id, "role": "player"])
            #expect(promoted.status == .conflict)
            let list = try await api.participants(session, as: table.player)
            #expect(Set(list.map(\.role)) == [.observer, .player])
        }
    }

    /// A hundred players press « Rejoindre » on a six-seat session at the same instant.
    @Test(arguments: TestDatabase.enabled)
    func aHundredSimultaneousJoinsFillSixSeats(db: TestDatabase) async throws {
        // Dozens of accounts from one address: allowances are not what this is about.
        try await withTable(db, configure: { $0.limits.enabled = false }) { api, table in
            let session = try await api.createSession(table, extra: ["max_players": 6])
            try await api.move(session, .start, table)
            var players: [(TestUser, CharacterResponse)] = []
            for index in 0..<100 {
                players.append(try await api.newPlayer(table, "joueur\(index)"))
            }
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for (user, character) in players {
                    group.addTask { try await api.joinSession(session, user, character: character).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 6)
            #expect(statuses.filter { $0 == .conflict }.count == 94)
            let seated = try await SessionParticipant.query(on: api.db)
                .filter(\.$session.$id == session.id).filter(\.$role == .player).filter(\.$isActive == true).count()
            #expect(seated == 6)
            #expect(try await SessionPresence.query(on: api.db).filter(\.$isOnline == true).count() == 6)
            let seen = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.mj.token).decode(
                SessionResponse.self)
            #expect(seen.seatedPlayers == 6 && !seen.canJoin || seen.isMj)
        }
    }
}
