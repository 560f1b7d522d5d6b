import EtrangeDomain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

extension TestAPI {
    func createSession(_ table: Table, name: String = "Session 1", extra: [String: Any] = [:]) async throws
        -> SessionResponse
    {
        var json: [String: Any] = ["partie_id": table.partie.id, "name": name]
        json.merge(extra) { $1 }
        let response = try await send(.POST, "/api/sessions", token: table.mj.token, json: json)
        try #require(response.status == .created, "create session: \(response.status) \(response.text)")
        return try response.decode()
    }

    @discardableResult
    func move(_ session: SessionResponse, _ action: SessionAction, _ table: Table, json: [String: Any]? = nil)
        async throws -> APIResponse
    {
        try await send(.POST, "/api/sessions/\(session.id)/\(action.rawValue)", token: table.mj.token, json: json)
    }

    /// A new session brought to `status` through the API.
    func session(in status: SessionStatus, _ table: Table) async throws -> SessionResponse {
        let session = try await createSession(table, name: "Vers \(status.rawValue)")
        let path: [SessionAction] =
            switch status {
            case .scheduled: []
            case .active: [.start]
            case .paused: [.start, .pause]
            case .completed: [.start, .end]
            case .cancelled: [.cancel]
            }
        for action in path {
            let response = try await move(session, action, table)
            try #require(response.status == .ok, "\(action): \(response.text)")
        }
        return try await send(.GET, "/api/sessions/\(session.id)", token: table.mj.token).decode()
    }
}

@Suite struct SessionsTests {
    @Test(arguments: TestDatabase.enabled)
    func createWithDefaults(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let created = try await api.send(
                .POST, "/api/sessions", token: table.mj.token,
                json: [
                    "partie_id": table.partie.id, "name": "Session 1 - La rencontre mystérieuse",
                    "description": "Première session", "scheduled_date": "2025-01-20T21:00:00.250+01:00",
                ])
            #expect(created.status == .created)
            let session = try created.decode(SessionResponse.self)
            #expect(session.status == .scheduled)
            #expect(session.maxPlayers == 6)
            #expect(session.allowLateJoin)
            #expect(session.partieId == table.partie.id)
            #expect(session.scheduledDate == pinnedStart)
            #expect(session.createdAt == pinnedStart)
            #expect(session.allowedActions == [.start, .cancel])
            #expect(session.isMj)
            // Every column is there, null when empty.
            for key in [
                "started_at", "ended_at", "duration_minutes", "summary", "key_events", "character_developments",
                "notes", "voice_channel_id",
            ] {
                #expect(created.object.keys.contains(key), "\(key)")
            }
            #expect(created.text.contains("\"scheduled_date\":\"2025-01-20T20:00:00Z\""))
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func creationRules(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let base: [String: Any] = ["partie_id": table.partie.id, "name": "Ok"]
            let cases: [([String: Any], String)] = [
                (["name": "  "], "name"),
                (["name": String(repeating: "x", count: 101)], "name"),
                (["max_players": 0], "max_players"),
                (["max_players": 21], "max_players"),
                (["max_players": "six"], "max_players"),
                (["scheduled_date": "demain soir"], "scheduled_date"),
                (["scheduled_date": "2025-02-30T20:00:00Z"], "scheduled_date"),
                (["allow_late_join": "oui"], "allow_late_join"),
                (["description": String(repeating: "d", count: 5001)], "description"),
            ]
            for (change, field) in cases {
                let body = base.merging(change) { $1 }
                let response = try await api.send(.POST, "/api/sessions", token: table.mj.token, json: body)
                #expect(response.status == .badRequest, "\(change)")
                #expect(response.error?.field == field, "\(change): \(response.text)")
            }
            #expect(
                try await api.send(.POST, "/api/sessions", token: table.mj.token, json: ["name": "x"]).error?.field
                    == "partie_id")
            #expect(
                try await api.send(.POST, "/api/sessions", token: table.player.token, json: base).status == .forbidden)
            #expect(
                try await api.send(.POST, "/api/sessions", token: table.outsider.token, json: base).status == .notFound)
            #expect(try await api.send(.POST, "/api/sessions", json: base).status == .unauthorized)
            #expect(try await Session.query(on: api.db).count() == 0)
        }
    }

    /// Every action from every state: the allowed ones move, the others are a 409 that names the
    /// state and the moves it allows.
    @Test(arguments: TestDatabase.enabled)
    func theStateMachineExactly(db: TestDatabase) async throws {
        // Dozens of accounts from one address: allowances are not what this is about.
        try await withApp(db, configure: { $0.limits.enabled = false }) { api in
            for status in SessionStatus.allCases {
                for action in SessionAction.allCases {
                    let table = try await Table.make(api, suffix: "\(status.rawValue)-\(action.rawValue)")
                    let session = try await api.session(in: status, table)
                    let response = try await api.move(session, action, table)
                    if action.from.contains(status) {
                        #expect(response.status == .ok, "\(status) + \(action): \(response.text)")
                        #expect(try response.decode(SessionResponse.self).status == action.to)
                    } else {
                        #expect(response.status == .conflict, "\(status) + \(action)")
                        #expect(response.reason.contains("« \(status.rawValue) »"), "\(response.reason)")
                        for allowed in status.allowedActions {
                            #expect(response.reason.contains(allowed.rawValue))
                        }
                        let after = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.mj.token)
                            .decode(SessionResponse.self)
                        #expect(after.status == status)
                    }
                }
            }
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func durationExcludesPauses(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await api.createSession(table)
            try await api.move(session, .start, table)
            api.clock.advance(by: 30 * 60)
            try await api.move(session, .pause, table)
            api.clock.advance(by: 15 * 60)
            let paused = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.player.token).decode(
                SessionResponse.self)
            #expect(paused.durationMinutes == 30)
            try await api.move(session, .resume, table)
            api.clock.advance(by: 60 * 60 + 59)
            let ended = try await api.move(session, .end, table).decode(SessionResponse.self)
            #expect(ended.status == .completed)
            #expect(ended.startedAt == pinnedStart)
            #expect(ended.endedAt == pinnedStart.addingTimeInterval(105 * 60 + 59))
            #expect(ended.durationMinutes == 90)
            api.clock.advance(by: 3600)
            let later = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.mj.token).decode(
                SessionResponse.self)
            #expect(later.durationMinutes == 90)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func cancellingARunningSessionKeepsItsTime(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await api.createSession(table)
            try await api.move(session, .start, table)
            api.clock.advance(by: 20 * 60)
            let cancelled = try await api.move(session, .cancel, table).decode(SessionResponse.self)
            #expect(cancelled.status == .cancelled)
            #expect(cancelled.endedAt == pinnedStart.addingTimeInterval(20 * 60))
            #expect(cancelled.durationMinutes == 20)
            let scheduled = try await api.createSession(table, name: "Jamais jouée")
            let never = try await api.move(scheduled, .cancel, table).decode(SessionResponse.self)
            #expect(never.durationMinutes == 0)
            #expect(never.startedAt == nil)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func endWritesTheAccount(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let character = try await api.createCharacter(table.player, name: "Armand", partieID: table.partie.id)
            let session = try await api.session(in: .active, table)
            let invalid = try await api.move(
                session, .end, table, json: ["key_events": [["event": "", "timestamp": "2025-01-19T15:30:00Z"]]])
            #expect(invalid.error?.field == "key_events[0].event")
            #expect(
                try await api.send(.GET, "/api/sessions/\(session.id)", token: table.mj.token).decode(
                    SessionResponse.self
                ).status == .active)

            let ended = try await api.move(
                session, .end, table,
                json: [
                    "summary": "Les héros ont trouvé la crypte.",
                    "key_events": [["event": "Rencontre avec le PNJ X", "timestamp": "2025-01-19T15:30:00Z"]],
                    "character_developments": [
                        ["character_id": character.id.uuidString, "description": "Armand a perdu la foi."]
                    ],
                    "notes": "Le traître est le curé.",
                ])
            #expect(ended.status == .ok, "\(ended.text)")
            let mjView = try ended.decode(SessionResponse.self)
            #expect(mjView.summary == "Les héros ont trouvé la crypte.")
            #expect(
                mjView.keyEvents == [
                    KeyEventPayload(
                        event: "Rencontre avec le PNJ X", timestamp: Date(timeIntervalSince1970: 1_737_300_600))
                ])
            #expect(mjView.characterDevelopments?.first?.characterId == character.id)
            #expect(mjView.notes == .some("Le traître est le curé."))

            let playerView = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.player.token)
            #expect(playerView.object["summary"] as? String == "Les héros ont trouvé la crypte.")
            #expect(playerView.object["notes"] == nil)
            #expect(!playerView.text.contains("curé"))
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func notesNeverReachPlayers(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await api.createSession(table)
            let updated = try await api.send(
                .PUT, "/api/sessions/\(session.id)", token: table.mj.token, json: ["notes": "Secret du MJ"])
            #expect(updated.object["notes"] as? String == "Secret du MJ")
            for path in ["/api/sessions/\(session.id)", "/api/sessions?partie_id=\(table.partie.id)"] {
                let asPlayer = try await api.send(.GET, path, token: table.player.token)
                #expect(asPlayer.status == .ok)
                #expect(!asPlayer.text.contains("Secret du MJ"), "\(path)")
                #expect(!asPlayer.text.contains("\"notes\""), "\(path)")
                let asMJ = try await api.send(.GET, path, token: table.mj.token)
                #expect(asMJ.text.contains("Secret du MJ"), "\(path)")
            }
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func editingChangesOnlyWhatIsSent(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await api.createSession(
                table, extra: ["description": "À effacer", "scheduled_date": "2025-01-20T20:00:00Z"])
            api.clock.advance(by: 60)
            let response = try await api.send(
                .PUT, "/api/sessions/\(session.id)", token: table.mj.token,
                json: [
                    "name": "Renommée", "description": NSNull(), "max_players": 4, "allow_late_join": false,
                    "voice_channel_id": "agora-123",
                    "status": "completed", "started_at": "2020-01-01T00:00:00Z", "created_at": "2020-01-01T00:00:00Z",
                ])
            #expect(response.status == .ok, "\(response.text)")
            let edited = try response.decode(SessionResponse.self)
            #expect(edited.name == "Renommée")
            #expect(edited.description == nil)
            #expect(edited.scheduledDate == session.scheduledDate)
            #expect(edited.maxPlayers == 4)
            #expect(!edited.allowLateJoin)
            #expect(edited.voiceChannelId == "agora-123")
            #expect(edited.status == .scheduled)
            #expect(edited.startedAt == nil)
            #expect(edited.createdAt == pinnedStart)
            #expect(edited.updatedAt == pinnedStart.addingTimeInterval(60))
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func editingRules(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await api.createSession(table)
            let stranger = try await api.register("etranger")
            let strangerPartie = try await api.createPartie(stranger, name: "Ailleurs")
            let foreignCharacter = try await api.createCharacter(stranger, name: "Autre", partieID: strangerPartie.id)
            let cases: [([String: Any], String)] = [
                (["name": NSNull()], "name"),
                (["name": ""], "name"),
                (["max_players": NSNull()], "max_players"),
                (["max_players": 25], "max_players"),
                (["allow_late_join": NSNull()], "allow_late_join"),
                (["scheduled_date": "hier"], "scheduled_date"),
                (["summary": String(repeating: "s", count: 20001)], "summary"),
                (["notes": String(repeating: "n", count: 20001)], "notes"),
                (["voice_channel_id": String(repeating: "v", count: 101)], "voice_channel_id"),
                (["key_events": "pas un tableau"], "key_events"),
                (["key_events": [["event": "x"]]], "key_events[0].timestamp"),
                (["key_events": [["event": "x", "timestamp": "n'importe quand"]]], "key_events[0].timestamp"),
                (
                    ["character_developments": [["character_id": foreignCharacter.id.uuidString, "description": "x"]]],
                    "character_developments[0].character_id"
                ),
                (
                    ["character_developments": [["character_id": "pas-un-uuid", "description": "x"]]],
                    "character_developments[0].character_id"
                ),
            ]
            for (body, field) in cases {
                let response = try await api.send(
                    .PUT, "/api/sessions/\(session.id)", token: table.mj.token, json: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.error?.field == field, "\(body): \(response.text)")
            }
            let unchanged = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.mj.token).decode(
                SessionResponse.self)
            #expect(
                unchanged.name == session.name && unchanged.maxPlayers == 6 && unchanged.updatedAt == session.updatedAt)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func maxPlayersNeverBelowTheSeatsTaken(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await api.createSession(table)
            for user in [table.player, try await api.register("second", password: "motdepasse")] {
                let participant = SessionParticipant()
                participant.$session.id = session.id
                participant.$user.id = user.id
                participant.role = .player
                participant.joinedAt = pinnedStart
                participant.playedSeconds = 0
                participant.createdAt = pinnedStart
                participant.updatedAt = pinnedStart
                participant.isActive = true
                try await participant.create(on: api.db)
            }
            let tooFew = try await api.send(
                .PUT, "/api/sessions/\(session.id)", token: table.mj.token, json: ["max_players": 1])
            #expect(tooFew.error?.field == "max_players")
            #expect(
                try await api.send(.PUT, "/api/sessions/\(session.id)", token: table.mj.token, json: ["max_players": 2])
                    .status == .ok)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func listingIsNewestFirstFilteredAndPaged(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            var ids: [UUID] = []
            for index in 1...5 {
                ids.append(try await api.createSession(table, name: "Session \(index)").id)
                api.clock.advance(by: 60)
            }
            let other = try await api.createPartie(table.mj, name: "Autre partie")
            _ = try await api.send(
                .POST, "/api/sessions", token: table.mj.token, json: ["partie_id": other.id, "name": "Ailleurs"])
            try await api.send(.POST, "/api/sessions/\(ids[1])/cancel", token: table.mj.token)

            let path = "/api/sessions?partie_id=\(table.partie.id)"
            let all = try await api.send(.GET, path, token: table.player.token).decode(Page<SessionResponse>.self)
            #expect(all.items.map(\.id) == ids.reversed())
            #expect(all.metadata.total == 5)
            let page = try await api.send(.GET, path + "&per=2&page=2", token: table.player.token).decode(
                Page<SessionResponse>.self)
            #expect(page.items.map(\.id) == [ids[2], ids[1]])
            // Every shape of page tells the same total: full (counted), last (told by itself).
            #expect(page.metadata.total == 5)
            let last = try await api.send(.GET, path + "&per=2&page=3", token: table.player.token).decode(
                Page<SessionResponse>.self)
            #expect(last.items.map(\.id) == [ids[0]] && last.metadata.total == 5)
            let exact = try await api.send(.GET, path + "&per=5", token: table.player.token).decode(
                Page<SessionResponse>.self)
            #expect(exact.items.count == 5 && exact.metadata.total == 5)
            let cancelled = try await api.send(.GET, path + "&status=cancelled", token: table.player.token).decode(
                Page<SessionResponse>.self)
            #expect(cancelled.items.map(\.id) == [ids[1]])
            #expect(
                try await api.send(.GET, path + "&status=finie", token: table.player.token).error?.field == "status")
            #expect(try await api.send(.GET, "/api/sessions", token: table.player.token).error?.field == "partie_id")
            #expect(
                try await api.send(.GET, "/api/sessions?partie_id=x", token: table.player.token).error?.field
                    == "partie_id")
            #expect(try await api.send(.GET, path, token: table.outsider.token).status == .notFound)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func deletingOnlyScheduledOrCancelled(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            for status in SessionStatus.allCases {
                let session = try await api.session(in: status, table)
                let byPlayer = try await api.send(.DELETE, "/api/sessions/\(session.id)", token: table.player.token)
                #expect(byPlayer.status == .forbidden)
                let response = try await api.send(.DELETE, "/api/sessions/\(session.id)", token: table.mj.token)
                if status == .scheduled || status == .cancelled {
                    #expect(response.status == .noContent, "\(status)")
                    #expect(
                        try await api.send(.GET, "/api/sessions/\(session.id)", token: table.mj.token).status
                            == .notFound)
                } else {
                    #expect(response.status == .conflict, "\(status)")
                    #expect(response.reason.contains(status.rawValue))
                    if status.isRunning { try await api.move(session, .end, table) }
                }
            }
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func oneGameAtATime(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let first = try await api.createSession(table, name: "Première")
            let second = try await api.createSession(table, name: "Seconde")
            try await api.move(first, .start, table)
            #expect(try await api.move(second, .start, table).status == .conflict)
            try await api.move(first, .pause, table)
            let refused = try await api.move(second, .start, table)
            #expect(refused.status == .conflict)
            #expect(refused.reason.contains("déjà en cours"))
            try await api.move(first, .end, table)
            #expect(try await api.move(second, .start, table).status == .ok)
            // Another partie's game is no obstacle.
            let other = try await Table.make(api, suffix: "autre")
            #expect(try await api.move(try await api.createSession(other), .start, other).status == .ok)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func whoMayDoWhat(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await api.createSession(table)
            let id = session.id
            let reads: [(HTTPMethod, String)] = [
                (.GET, "/api/sessions/\(id)"), (.GET, "/api/sessions?partie_id=\(table.partie.id)"),
            ]
            let writes: [(HTTPMethod, String)] =
                [(.PUT, "/api/sessions/\(id)")]
                + SessionAction.allCases.map { (.POST, "/api/sessions/\(id)/\($0.rawValue)") }
                + [(.DELETE, "/api/sessions/\(id)")]
            for (method, path) in reads + writes {
                let body: [String: Any]? = method == .PUT ? ["name": "x"] : nil
                #expect(
                    try await api.send(method, path, json: body).status == .unauthorized, "anonymous \(method) \(path)")
                #expect(
                    try await api.send(method, path, token: table.outsider.token, json: body).status == .notFound,
                    "outsider \(method) \(path)")
            }
            for (method, path) in reads {
                #expect(
                    try await api.send(method, path, token: table.player.token).status == .ok,
                    "player \(method) \(path)")
            }
            for (method, path) in writes {
                let body: [String: Any]? = method == .PUT ? ["name": "x"] : nil
                #expect(
                    try await api.send(method, path, token: table.player.token, json: body).status == .forbidden,
                    "player \(method) \(path)")
            }
            let untouched = try await api.send(.GET, "/api/sessions/\(id)", token: table.mj.token).decode(
                SessionResponse.self)
            #expect(untouched.status == .scheduled && untouched.name == session.name)
            #expect(try await api.send(.GET, "/api/sessions/\(UUID())", token: table.mj.token).status == .notFound)
            #expect(try await api.send(.GET, "/api/sessions/123", token: table.mj.token).status == .badRequest)
        }
    }
}
