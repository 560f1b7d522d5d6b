import EtrangeDomain
import Foundation
import Testing

@testable import App

/// Members sitting in on a session as observers by themselves, when the partie allows it (#26).
@Suite struct ObserversTests {
    private func setObserving(_ allowed: Bool, _ table: Table, _ api: TestAPI) async throws -> PartieResponse {
        let response = try await api.send(
            .PUT, "/api/parties/\(table.partie.id)", token: table.mj.token, json: ["members_may_observe": allowed])
        try #require(response.status == .ok, "\(response.reason)")
        return try response.decode()
    }

    private func observe(_ session: SessionResponse, _ user: TestUser, _ api: TestAPI) async throws -> APIResponse {
        try await api.send(.POST, "/api/sessions/\(session.id)/join", token: user.token, json: ["role": "observer"])
    }

    /// The setting is off by default and only the MJ changes it; off, a member cannot observe.
    @Test(arguments: TestDatabase.enabled)
    func onlyTheMJOpensObservingAndItIsClosedByDefault(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            #expect(t.table.partie.membersMayObserve == false)
            let watcher = try await api.register("wanda")
            try await api.join(watcher, t.table.partie)
            let closed = try await observe(t.session, watcher, api)
            #expect(closed.status == .forbidden && closed.reason.contains("seul le MJ"), "\(closed.reason)")
            let byPlayer = try await api.send(
                .PUT, "/api/parties/\(t.table.partie.id)", token: t.table.player.token,
                json: ["members_may_observe": true])
            #expect(byPlayer.status == .forbidden, "\(byPlayer.reason)")
            let master = try await api.send(
                .POST, "/api/sessions/\(t.session.id)/join", token: watcher.token, json: ["role": "master"])
            #expect(master.status == .forbidden, "\(master.reason)")
            #expect(try await observe(t.session, t.table.outsider, api).status == .notFound)
            #expect(try await setObserving(true, t.table, api).membersMayObserve)
            let shown = try await api.send(.GET, "/api/parties/\(t.table.partie.id)", token: watcher.token)
            #expect(try shown.decode(PartieResponse.self).membersMayObserve)
        }
    }

    /// With the setting on, a member observes a full session closed to late arrivals, takes no seat,
    /// and is refused a draw in French; the seated player still draws.
    @Test(arguments: TestDatabase.enabled)
    func anObserverSitsInAFullSessionAndDrawsNothing(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let armand = try await api.armand(table)
            let created = try await api.createSession(table, extra: ["max_players": 1, "allow_late_join": false])
            #expect(try await api.joinSession(created, table.player, character: armand).status == .ok)
            #expect(try await api.move(created, .start, table).status == .ok)
            _ = try await setObserving(true, table, api)
            let watcher = try await api.register("wanda")
            try await api.join(watcher, table.partie)

            let joined = try await observe(created, watcher, api)
            #expect(joined.status == .ok, "\(joined.reason)")
            let seat = try joined.decode(ParticipantResponse.self)
            #expect(seat.role == .observer && seat.isActive && seat.characterId == nil)
            let read = try await api.send(.GET, "/api/sessions/\(created.id)", token: watcher.token)
                .decode(SessionResponse.self)
            #expect(read.seatedPlayers == 1)

            // Wanting a seat still meets the full table.
            let wanda = try await api.createCharacter(watcher, name: "Wanda", partieID: table.partie.id)
            let asPlayer = try await api.send(
                .POST, "/api/sessions/\(created.id)/join", token: watcher.token,
                json: ["character_id": wanda.id.uuidString])
            #expect(asPlayer.status == .conflict, "\(asPlayer.reason)")

            let test: [String: Any] = [
                "mode": "classic", "difficulty": 9, "characteristic": ["name": "Agilité", "value": 3],
                "reason": "Regarder", "visibility": "public",
            ]
            var byObserver = test
            byObserver["character_id"] = wanda.id.uuidString
            let refused = try await api.drawCard(created, watcher, byObserver)
            #expect(refused.status == .forbidden && refused.reason.contains("observateurs"), "\(refused.reason)")
            var byPlayer = test
            byPlayer["character_id"] = armand.id.uuidString
            let drawn = try await api.drawCard(created, table.player, byPlayer)
            #expect(drawn.status == .created, "\(drawn.reason)")
        }
    }
}
