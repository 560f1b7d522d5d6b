import EtrangeDomain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Answers to a scheduled session (RSVP) and date polls, on the injected clock.
@Suite struct SchedulingTests {
    func rsvp(_ api: TestAPI, _ session: UUID, _ user: TestUser, _ answer: String, comment: String? = nil)
        async throws -> APIResponse
    {
        var json: [String: Any] = ["answer": answer]
        if let comment { json["comment"] = comment }
        return try await api.send(.PUT, "/api/sessions/\(session)/rsvp", token: user.token, json: json)
    }

    func scheduled(_ api: TestAPI, _ table: Table, in interval: TimeInterval = 7200) async throws -> SessionResponse {
        try await api.createSession(
            table, name: "Au manoir",
            extra: ["scheduled_date": JSONCoding.format(api.clock.now().addingTimeInterval(interval))])
    }

    @Test(arguments: TestDatabase.enabled)
    func rsvpChangesUntilTheStartAndIsRefusedAfter(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await scheduled(api, table)
            let first = try await rsvp(api, session.id, table.player, "yes", comment: "  en retard de 30 min ")
            #expect(first.status == .ok, "\(first.text)")
            let list = try first.decode(RSVPListResponse.self)
            #expect(list.counts.yes == 1 && list.counts.mine?.comment == "en retard de 30 min")
            #expect(list.notAnswered == nil, "only the MJ sees who has not answered")

            // The MJ sees the answer, and no one left to answer; before it, the player was.
            let forMJ = try await api.send(.GET, "/api/sessions/\(session.id)/rsvps", token: table.mj.token)
                .decode(RSVPListResponse.self)
            #expect(forMJ.answers.map(\.userId) == [table.player.id])
            #expect(forMJ.notAnswered == [])

            api.clock.advance(by: 3600)
            #expect(try await rsvp(api, session.id, table.player, "no").status == .ok)
            let seen = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.player.token)
                .decode(SessionResponse.self)
            #expect(seen.rsvp == RSVPSummary(yes: 0, maybe: 0, no: 1, mine: MyRSVP(answer: .no, comment: nil)))
            let byMJ = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.mj.token)
                .decode(SessionResponse.self)
            #expect(byMJ.rsvp == RSVPSummary(yes: 0, maybe: 0, no: 1, mine: nil))

            // The scheduled time passes: answers close, with a reason.
            api.clock.advance(by: 3600)
            let late = try await rsvp(api, session.id, table.player, "yes")
            #expect(late.status == .conflict)
            #expect(late.reason.contains("L'heure prévue de la session est passée"))

            // A session the MJ started is closed to answers too, date or not.
            let undated = try await api.createSession(table, name: "Sans date")
            #expect(try await rsvp(api, undated.id, table.player, "maybe").status == .ok)
            try await api.move(undated, .start, table)
            let started = try await rsvp(api, undated.id, table.player, "yes")
            #expect(started.status == .conflict)
            #expect(started.reason.contains("les réponses sont closes"))
            let closed = try await api.send(.GET, "/api/sessions/\(undated.id)/rsvps", token: table.player.token)
                .decode(RSVPListResponse.self)
            #expect(!closed.open && closed.counts.maybe == 1)
            try await api.move(undated, .end, table)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func rsvpRefusals(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await scheduled(api, table)
            #expect(try await rsvp(api, session.id, table.outsider, "yes").status == .notFound)
            let bad = try await rsvp(api, session.id, table.player, "oui")
            #expect(bad.status == .badRequest)
            let long = try await rsvp(api, session.id, table.player, "yes", comment: String(repeating: "a", count: 201))
            #expect(long.status == .badRequest)
            #expect(long.error?.field == "comment")
            #expect(
                try await api.send(.GET, "/api/sessions/\(session.id)/rsvps", token: table.outsider.token).status
                    == .notFound)
            let forMJ = try await api.send(.GET, "/api/sessions/\(session.id)/rsvps", token: table.mj.token)
                .decode(RSVPListResponse.self)
            #expect(forMJ.answers.isEmpty && forMJ.notAnswered?.map(\.userId) == [table.player.id])
        }
    }

    /// Two tabs (here twelve) answering at once leave one row, holding one of the answers sent.
    @Test(arguments: TestDatabase.enabled)
    func rsvpFromManyTabsAtOnceIsOneRow(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await scheduled(api, table)
            let answers = ["yes", "maybe", "no"]
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for index in 0..<12 {
                    group.addTask { try await rsvp(api, session.id, table.player, answers[index % 3]).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .ok }, "\(statuses)")
            let rows = try await SessionRSVP.query(on: api.db).filter(\.$session.$id == session.id).all()
            #expect(rows.count == 1)
            let seen = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.player.token)
                .decode(SessionResponse.self)
            #expect(seen.rsvp.yes + seen.rsvp.maybe + seen.rsvp.no == 1)
            #expect(seen.rsvp.mine?.answer == rows.first?.answer)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func rsvpIsALiveEventAndInTheList(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let session = try await scheduled(api, table)
            let other = try await scheduled(api, table, in: 86400)
            let live = try await LiveClient.connect(api, session: session.id, token: table.mj.token)
            #expect(try await rsvp(api, session.id, table.player, "maybe", comment: "si le train suit").status == .ok)
            let events = try await live.waitFor("the answer") { $0.contains { $0.type == "rsvp.answered" } }
            let event = try #require(events.first { $0.type == "rsvp.answered" })
            #expect(event.data["answer"] as? String == "maybe")
            #expect(event.data["user_id"] as? Int == table.player.id)
            #expect(event.data["maybe"] as? Int == 1)
            try await live.close()

            let page = try await api.send(.GET, "/api/sessions?partie_id=\(table.partie.id)", token: table.player.token)
            let items = try #require(page.object["items"] as? [[String: Any]])
            let byID = Dictionary(uniqueKeysWithValues: items.map { ($0["id"] as? String ?? "", $0["rsvp"]) })
            let answered = try #require(byID[session.id.uuidString] as? [String: Any])
            #expect(answered["maybe"] as? Int == 1)
            #expect((answered["mine"] as? [String: Any])?["comment"] as? String == "si le train suit")
            let unanswered = try #require(byID[other.id.uuidString] as? [String: Any])
            #expect(unanswered["maybe"] as? Int == 0 && unanswered["mine"] is NSNull)
        }
    }

    /// The attendance view puts each answer beside what happened, does not call a member absent
    /// from a session still running, and a completed session counts who played in it.
    @Test(arguments: TestDatabase.enabled)
    func attendanceShowsAnswersBesideWhatHappened(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let late = try await api.register("lucienne")
            try await api.join(late, table.partie)
            let session = try await api.createSession(table, name: "Le bal")
            #expect(try await rsvp(api, session.id, table.player, "no").status == .ok)
            #expect(try await rsvp(api, session.id, late, "yes").status == .ok)
            try await api.move(session, .start, table)
            let character = try await api.createCharacter(table.player, name: "Armand", partieID: table.partie.id)
            let joined = try await api.joinSession(session, table.player, character: character)
            #expect(joined.status == .ok, "\(joined.text)")

            let running = try await api.send(.GET, "/api/parties/\(table.partie.id)/attendance", token: table.mj.token)
                .decode(AttendanceResponse.self)
            let lateLine = try #require(running.players.first { $0.userId == late.id })
            #expect(lateLine.sessions.first?.status == .notYet)
            #expect(lateLine.missed == 0)

            api.clock.advance(by: 1800)
            try await api.move(session, .end, table)
            let report = try await api.send(
                .GET, "/api/parties/\(table.partie.id)/attendance", token: table.player.token
            )
            .decode(AttendanceResponse.self)
            let cells = Dictionary(
                uniqueKeysWithValues: report.players.map { ($0.userId, try! #require($0.sessions.first)) })
            #expect(cells[table.player.id]?.status == .attended && cells[table.player.id]?.rsvp == .no)
            #expect(cells[late.id]?.status == .missed && cells[late.id]?.rsvp == .yes)
            #expect(report.sessions.first?.rsvps.count == 2)

            let completed = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.mj.token)
                .decode(SessionResponse.self)
            #expect(completed.seatedPlayers == 1, "one played")
        }
    }

    // MARK: - Date polls

    func propose(_ api: TestAPI, _ table: Table, hours: [Double] = [24, 48, 72], extra: [String: Any] = [:])
        async throws -> APIResponse
    {
        var json: [String: Any] = [
            "name": "Le retour au manoir", "description": "On reprend à la bibliothèque.", "max_players": 3,
            "allow_late_join": false,
            "slots": hours.map { JSONCoding.format(api.clock.now().addingTimeInterval($0 * 3600)) },
        ]
        json.merge(extra) { $1 }
        return try await api.send(.POST, "/api/parties/\(table.partie.id)/polls", token: table.mj.token, json: json)
    }

    func answer(_ api: TestAPI, _ poll: PollResponse, _ user: TestUser, _ answers: [(Int, String)]) async throws
        -> APIResponse
    {
        try await api.send(
            .PUT, "/api/polls/\(poll.id)/answers", token: user.token,
            json: ["answers": answers.map { ["slot_id": poll.slots[$0.0].id.uuidString, "answer": $0.1] }])
    }

    @Test(arguments: TestDatabase.enabled)
    func pollFromProposalToSession(db: TestDatabase) async throws {
        try await withTable(db, configure: { $0.webhooksMayReachPrivateAddresses = true }) { api, table in
            let hook = try await api.send(
                .PUT, "/api/parties/\(table.partie.id)/webhook", token: table.mj.token,
                json: ["url": "http://127.0.0.1:9/hook", "format": "json"])
            #expect(hook.status == .ok, "\(hook.text)")
            let created = try await propose(api, table)
            #expect(created.status == .created, "\(created.text)")
            let poll = try created.decode(PollResponse.self)
            #expect(poll.slots.count == 3 && poll.status == .open)

            #expect(try await answer(api, poll, table.player, [(0, "yes"), (1, "maybe"), (2, "no")]).status == .ok)
            // Someone who joins the partie later answers the open poll too.
            let late = try await api.register("lucienne")
            try await api.join(late, table.partie)
            let grid = try await answer(api, poll, late, [(1, "yes")]).decode(PollResponse.self)
            #expect(grid.slots.map(\.yes) == [1, 1, 0] && grid.slots.map(\.maybe) == [0, 1, 0])
            #expect(Set(grid.members.map(\.userId)) == [table.mj.id, table.player.id, late.id])
            #expect(grid.answers.count == 4)
            // Changing one's mind changes the answer, not the number of rows.
            let changed = try await answer(api, poll, table.player, [(1, "yes")]).decode(PollResponse.self)
            #expect(changed.slots[1].yes == 2 && changed.answers.count == 4)

            // Only members see it; only the MJ decides.
            #expect(try await api.send(.GET, "/api/polls/\(poll.id)", token: table.outsider.token).status == .notFound)
            #expect(
                try await api.send(.GET, "/api/parties/\(table.partie.id)/polls", token: table.outsider.token).status
                    == .notFound)
            #expect(try await answer(api, poll, table.outsider, [(0, "yes")]).status == .notFound)
            let notMJ = try await api.send(
                .POST, "/api/polls/\(poll.id)/close", token: table.player.token,
                json: ["slot_id": poll.slots[1].id.uuidString])
            #expect(notMJ.status == .forbidden)
            #expect(try await propose(api, table, extra: [:]).status == .created)

            let closed = try await api.send(
                .POST, "/api/polls/\(poll.id)/close", token: table.mj.token,
                json: ["slot_id": poll.slots[1].id.uuidString])
            #expect(closed.status == .ok, "\(closed.text)")
            let result = try closed.decode(PollResponse.self)
            #expect(result.status == .closed && result.chosenSlotId == poll.slots[1].id)
            let sessionID = try #require(result.sessionId)
            let session = try await api.send(.GET, "/api/sessions/\(sessionID)", token: table.player.token)
                .decode(SessionResponse.self)
            #expect(session.name == "Le retour au manoir" && session.description == "On reprend à la bibliothèque.")
            #expect(session.maxPlayers == 3 && !session.allowLateJoin && session.status == .scheduled)
            #expect(session.scheduledDate == poll.slots[1].startsAt)
            let deliveries = try await WebhookDelivery.query(on: api.db).filter(\.$sessionID == sessionID).all()
            #expect(deliveries.map(\.event) == ["session.scheduled"])

            // A closed poll takes no more answers and no second decision.
            let after = try await answer(api, poll, table.player, [(0, "no")])
            #expect(after.status == .conflict && after.reason.contains("clos"))
            #expect(
                try await api.send(.POST, "/api/polls/\(poll.id)/cancel", token: table.mj.token).status == .conflict)
            let listed = try await api.send(.GET, "/api/parties/\(table.partie.id)/polls", token: table.player.token)
                .decode([PollResponse].self)
            #expect(listed.map(\.status) == [.open, .closed])
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func pollSlotsAndCancellation(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            for hours in [[24.0], Array(stride(from: 1.0, through: 11, by: 1)), [24, -1], [24, 24]] {
                let refused = try await propose(api, table, hours: hours)
                #expect(refused.status == .badRequest, "\(hours)")
                #expect(refused.error?.field == "slots")
            }
            let fromPlayer = try await api.send(
                .POST, "/api/parties/\(table.partie.id)/polls", token: table.player.token,
                json: ["name": "x", "slots": [JSONCoding.format(api.clock.now().addingTimeInterval(3600))]])
            #expect(fromPlayer.status == .forbidden)

            let poll = try await propose(api, table, hours: [2, 30]).decode(PollResponse.self)
            // A slot of another poll, or one that has passed, cannot be chosen.
            api.clock.advance(by: 3 * 3600)
            let past = try await api.send(
                .POST, "/api/polls/\(poll.id)/close", token: table.mj.token,
                json: ["slot_id": poll.slots[0].id.uuidString])
            #expect(past.status == .badRequest)
            let foreign = try await api.send(
                .POST, "/api/polls/\(poll.id)/close", token: table.mj.token, json: ["slot_id": UUID().uuidString])
            #expect(foreign.status == .badRequest)

            #expect(
                try await api.send(.POST, "/api/polls/\(poll.id)/cancel", token: table.player.token).status
                    == .forbidden)
            let cancelled = try await api.send(.POST, "/api/polls/\(poll.id)/cancel", token: table.mj.token)
            #expect(try cancelled.decode(PollResponse.self).status == .cancelled)
            let refused = try await answer(api, poll, table.player, [(1, "yes")])
            #expect(refused.status == .conflict && refused.reason.contains("annulé"))
            let close = try await api.send(
                .POST, "/api/polls/\(poll.id)/close", token: table.mj.token,
                json: ["slot_id": poll.slots[1].id.uuidString])
            #expect(close.status == .conflict)
        }
    }

    /// Two tabs of the MJ closing the poll at once, on different slots: one session, one winner.
    @Test(arguments: TestDatabase.enabled)
    func closingTwiceAtOnceCreatesOneSession(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            for _ in 0..<4 {
                let poll = try await propose(api, table).decode(PollResponse.self)
                let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                    for index in 0..<6 {
                        group.addTask {
                            try await api.send(
                                .POST, "/api/polls/\(poll.id)/close", token: table.mj.token,
                                json: ["slot_id": poll.slots[index % 3].id.uuidString]
                            ).status
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == .ok }.count == 1, "\(statuses)")
                #expect(statuses.filter { $0 == .conflict }.count == 5, "\(statuses)")
                let final = try await api.send(.GET, "/api/polls/\(poll.id)", token: table.mj.token)
                    .decode(PollResponse.self)
                let sessions = try await Session.query(on: api.db).filter(\.$partie.$id == table.partie.id)
                    .filter(\.$name == "Le retour au manoir").all()
                #expect(sessions.count == 1)
                #expect(sessions.first?.id == final.sessionId)
                #expect(sessions.first?.scheduledDate == poll.slots.first { $0.id == final.chosenSlotId }?.startsAt)
                try await sessions.first?.delete(on: api.db)
            }
        }
    }
}
