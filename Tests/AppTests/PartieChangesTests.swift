import EtrangeDomain
import Foundation
import Testing

@testable import App

/// `GET /api/parties/{id}/changes` (#26: the poll grid seen live): it answers at once when the
/// partie moved on, and otherwise waits for its next change, which wakes it.
@Suite struct PartieChangesTests {
    private func changes(_ api: TestAPI, _ table: Table, after: Int? = nil, token: String? = nil) async throws
        -> APIResponse
    {
        try await api.send(
            .GET, "/api/parties/\(table.partie.id)/changes" + (after.map { "?after=\($0)" } ?? ""),
            token: token ?? table.player.token)
    }

    private func revision(_ response: APIResponse) throws -> Int {
        try response.decode(PartieRevisionResponse.self).revision
    }

    private func propose(_ api: TestAPI, _ table: Table) async throws -> PollResponse {
        try await api.send(
            .POST, "/api/parties/\(table.partie.id)/polls", token: table.mj.token,
            json: [
                "name": "La suite",
                "slots": [24.0, 48].map { JSONCoding.format(api.clock.now().addingTimeInterval($0 * 3600)) },
            ]
        ).decode(PollResponse.self)
    }

    /// A member waiting on the page is woken by another member's answer, long before the wait's
    /// end (set to a minute here: a wake that did not come would show as the same revision after
    /// it).
    @Test(arguments: TestDatabase.enabled)
    func anAnswerWakesTheMembersWaiting(db: TestDatabase) async throws {
        try await withTable(db, configure: { $0.partieChangesWait = 60 }) { api, table in
            let poll = try await propose(api, table)
            let seen = try revision(try await changes(api, table))
            async let woken = changes(api, table, after: seen)
            // Once the request is parked, the answer.
            while await api.app.partieChanges.count == 0 { await Task.yield() }
            let answer = try await api.send(
                .PUT, "/api/polls/\(poll.id)/answers", token: table.mj.token,
                json: ["answers": [["slot_id": poll.slots[0].id.uuidString, "answer": "yes"]]])
            #expect(answer.status == .ok, "\(answer.reason)")
            let after = try revision(try await woken)
            #expect(after > seen)
            #expect(await api.app.partieChanges.count == 0, "a waiter was left behind")
        }
    }

    /// Each kind of change moves the revision: a poll proposed, answered, closed; an RSVP.
    @Test(arguments: TestDatabase.enabled)
    func pollsAndRSVPsMoveTheRevision(db: TestDatabase) async throws {
        try await withTable(db, configure: { $0.partieChangesWait = 0.05 }) { api, table in
            var last = try revision(try await changes(api, table))
            func moved(_ what: String) async throws {
                let now = try revision(try await changes(api, table))
                #expect(now > last, "\(what) did not move the revision")
                last = now
            }
            let poll = try await propose(api, table)
            try await moved("a poll proposed")
            _ = try await api.send(
                .PUT, "/api/polls/\(poll.id)/answers", token: table.player.token,
                json: ["answers": [["slot_id": poll.slots[1].id.uuidString, "answer": "maybe"]]])
            try await moved("an answer")
            let closed = try await api.send(
                .POST, "/api/polls/\(poll.id)/close", token: table.mj.token,
                json: ["slot_id": poll.slots[1].id.uuidString]
            ).decode(PollResponse.self)
            try await moved("a poll closed")
            let sessionID = try #require(closed.sessionId)
            let rsvp = try await api.send(
                .PUT, "/api/sessions/\(sessionID)/rsvp", token: table.player.token, json: ["answer": "yes"])
            #expect(rsvp.status == .ok, "\(rsvp.reason)")
            try await moved("an RSVP")
            // Nothing changed: the wait runs out and says the same revision.
            #expect(try revision(try await changes(api, table, after: last)) == last)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func onlyMembersWaitAndAfterIsANumber(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            #expect(try await changes(api, table, token: table.outsider.token).status == .notFound)
            let anonymous = try await api.send(.GET, "/api/parties/\(table.partie.id)/changes")
            #expect(anonymous.status == .unauthorized)
            let bad = try await api.send(
                .GET, "/api/parties/\(table.partie.id)/changes?after=-1", token: table.player.token)
            #expect(bad.status == .badRequest && bad.reason.contains("after"), "\(bad.reason)")
        }
    }
}
