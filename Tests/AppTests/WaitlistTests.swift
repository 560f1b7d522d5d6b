import EtrangeDomain
import Foundation
import Testing

@testable import App

/// A full session's waiting list (#26): entering, the order, and seats freed going to the first
/// online waiters inside the departure's transaction.
@Suite struct WaitlistTests {
    /// A running session of `seats` seats filled by new players, and `waiting` members with a
    /// character each, not seated yet.
    private struct Full {
        let table: Table
        let session: SessionResponse
        let seated: [TestUser]
        let waiting: [(TestUser, CharacterResponse)]
    }

    private func full(_ api: TestAPI, seats: Int, waiting: Int) async throws -> Full {
        let table = try await Table.make(api)
        let session = try await api.createSession(table, extra: ["max_players": seats])
        var seated: [TestUser] = []
        for index in 0..<seats {
            let user = try await api.register("assis\(index)")
            try await api.join(user, table.partie)
            let character = try await api.createCharacter(user, name: "Assis \(index)", partieID: table.partie.id)
            #expect(try await api.joinSession(session, user, character: character).status == .ok)
            seated.append(user)
        }
        #expect(try await api.move(session, .start, table).status == .ok)
        var others: [(TestUser, CharacterResponse)] = []
        for index in 0..<waiting {
            let user = try await api.register("attente\(index)")
            try await api.join(user, table.partie)
            others.append(
                (user, try await api.createCharacter(user, name: "Attente \(index)", partieID: table.partie.id)))
        }
        return Full(table: table, session: session, seated: seated, waiting: others)
    }

    private func path(_ session: SessionResponse) -> String { "/api/sessions/\(session.id)/waitlist" }

    private func wait(_ api: TestAPI, _ f: Full, _ index: Int) async throws -> APIResponse {
        let (user, character) = f.waiting[index]
        return try await api.send(
            .POST, path(f.session), token: user.token, json: ["character_id": character.id.uuidString])
    }

    private func seatedIDs(_ api: TestAPI, _ f: Full) async throws -> [Int] {
        try await api.send(.GET, "/api/sessions/\(f.session.id)/participants", token: f.table.mj.token)
            .decode([ParticipantResponse].self).filter { $0.isActive && $0.role == .player }.map(\.userId).sorted()
    }

    @Test(arguments: TestDatabase.enabled)
    func theListHasAnOrderAndItsRules(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let f = try await full(api, seats: 1, waiting: 2)
            #expect(try await wait(api, f, 0).status == .created)
            let second = try await wait(api, f, 1)
            #expect(second.status == .created, "\(second.reason)")
            #expect(try second.decode(WaitlistResponse.self).myPosition == 2)
            #expect(try await wait(api, f, 0).status == .ok)  // again: same place
            let seen = try await api.send(.GET, path(f.session), token: f.table.player.token).decode(
                WaitlistResponse.self)
            #expect(seen.entries.map(\.userId) == f.waiting.map(\.0.id) && seen.myPosition == nil)
            // Already seated, the MJ, an outsider, no character.
            let seated = try await api.send(
                .POST, path(f.session), token: f.seated[0].token, json: ["character_id": UUID().uuidString])
            #expect(seated.status == .badRequest || seated.status == .conflict, "\(seated.reason)")
            #expect(try await api.send(.POST, path(f.session), token: f.table.mj.token, json: [:]).status == .conflict)
            #expect(try await api.send(.GET, path(f.session), token: f.table.outsider.token).status == .notFound)
            #expect(
                try await api.send(.POST, path(f.session), token: f.waiting[0].0.token, json: [:]).status
                    == .badRequest)
            // Leaving the list moves the other one up.
            #expect(try await api.send(.DELETE, path(f.session), token: f.waiting[0].0.token).status == .noContent)
            let after = try await api.send(.GET, path(f.session), token: f.waiting[1].0.token).decode(
                WaitlistResponse.self)
            #expect(after.myPosition == 1 && after.entries.count == 1)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func aSessionNotFullHasNoList(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let f = try await full(api, seats: 1, waiting: 1)
            #expect(
                try await api.send(.POST, "/api/sessions/\(f.session.id)/leave", token: f.seated[0].token).status == .ok
            )
            let refused = try await wait(api, f, 0)
            #expect(refused.status == .conflict && refused.reason.contains("pas complète"), "\(refused.reason)")
        }
    }

    /// The first in line has not read the list for a while: the seat freed is held for them, not
    /// given to the next one online nor to a member who was not waiting, until they take it.
    @Test(arguments: TestDatabase.enabled)
    func aSeatFreedIsHeldForTheFirstInLineWhileAway(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let f = try await full(api, seats: 1, waiting: 2)
            #expect(try await wait(api, f, 0).status == .created)
            api.clock.advance(by: 120)
            #expect(try await wait(api, f, 1).status == .created)
            let socket = try await LiveClient.connect(api, session: f.session.id, token: f.table.mj.token)
            #expect(
                try await api.send(.POST, "/api/sessions/\(f.session.id)/leave", token: f.seated[0].token).status == .ok
            )
            #expect(try await seatedIDs(api, f) == [])
            let list = try await api.send(.GET, path(f.session), token: f.waiting[1].0.token).decode(
                WaitlistResponse.self)
            #expect(list.entries.map(\.userId) == f.waiting.map(\.0.id))
            #expect(list.entries[0].offeredUntil == api.clock.now().addingTimeInterval(WaitingList.offerWindow))
            #expect(list.entries[1].offeredUntil == nil)
            try await socket.waitFor("the offer") { messages in
                messages.contains { $0.type == "waitlist.updated" && $0.text.contains("\"offers\":[{") }
            }
            try await socket.close()
            // The session says so: full for everyone but the one it is held for.
            func canJoin(_ user: TestUser) async throws -> Bool {
                try await api.send(.GET, "/api/sessions/\(f.session.id)", token: user.token)
                    .decode(SessionResponse.self).canJoin
            }
            #expect(try await canJoin(f.waiting[0].0))
            #expect(try await !canJoin(f.waiting[1].0))
            #expect(try await !canJoin(f.table.player))
            // The seat is held: neither the next in line nor a member who was not waiting takes it.
            let jumped = try await api.send(.POST, "\(path(f.session))/seat", token: f.waiting[1].0.token)
            #expect(jumped.status == .conflict, "\(jumped.reason)")
            let armand = try await api.createCharacter(f.table.player, name: "Armand", partieID: f.table.partie.id)
            let back = try await api.joinSession(f.session, f.table.player, character: armand)
            #expect(back.status == .conflict && back.reason.contains("complète"), "\(back.reason)")
            let taken = try await api.send(.POST, "\(path(f.session))/seat", token: f.waiting[0].0.token)
            #expect(taken.status == .created, "\(taken.reason)")
            #expect(try await seatedIDs(api, f) == [f.waiting[0].0.id])
            let again = try await api.send(.POST, "\(path(f.session))/seat", token: f.waiting[0].0.token)
            #expect(again.status == .conflict)
        }
    }

    /// The one a seat is held for may also take it by joining as anyone would: they leave the list
    /// with their offer, which then holds no second seat.
    @Test(arguments: TestDatabase.enabled)
    func theOneOfferedMayJoinDirectly(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let f = try await full(api, seats: 2, waiting: 2)
            #expect(try await wait(api, f, 0).status == .created)
            api.clock.advance(by: 120)
            #expect(
                try await api.send(.POST, "/api/sessions/\(f.session.id)/leave", token: f.seated[0].token).status == .ok
            )
            let (first, character) = f.waiting[0]
            let joined = try await api.joinSession(f.session, first, character: character)
            #expect(joined.status == .ok, "\(joined.reason)")
            let list = try await api.send(.GET, path(f.session), token: f.table.mj.token).decode(WaitlistResponse.self)
            #expect(list.entries.isEmpty)
            // The second seat freed goes to the next in line at once: no offer holds it any more.
            #expect(try await wait(api, f, 1).status == .created)
            #expect(
                try await api.send(.POST, "/api/sessions/\(f.session.id)/leave", token: f.seated[1].token).status == .ok
            )
            #expect(try await seatedIDs(api, f) == [first.id, f.waiting[1].0.id].sorted())
        }
    }

    /// An offer left unanswered is declined: the waiter leaves the list and the seat goes on to
    /// the next in line, here online.
    @Test(arguments: TestDatabase.enabled)
    func anOfferLeftUnansweredPassesToTheNext(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let f = try await full(api, seats: 1, waiting: 2)
            #expect(try await wait(api, f, 0).status == .created)
            #expect(try await wait(api, f, 1).status == .created)
            api.clock.advance(by: 120)
            #expect(
                try await api.send(.POST, "/api/sessions/\(f.session.id)/leave", token: f.seated[0].token).status == .ok
            )
            #expect(try await Waitlist.expireOffers(at: api.clock.now(), on: api.db).isEmpty)
            api.clock.advance(by: WaitingList.offerWindow)
            // Run out, the offer holds the seat no longer, before the sweeper drops it: the session
            // says what a join would find.
            let shown = try await api.send(.GET, "/api/sessions/\(f.session.id)", token: f.table.player.token)
            #expect(try shown.decode(SessionResponse.self).canJoin)
            _ = try await api.send(.GET, path(f.session), token: f.waiting[1].0.token)
            #expect(try await Waitlist.expireOffers(at: api.clock.now(), on: api.db) == [f.session.id])
            #expect(try await seatedIDs(api, f) == [f.waiting[1].0.id])
            let late = try await api.send(.POST, "\(path(f.session))/seat", token: f.waiting[0].0.token)
            #expect(late.status == .conflict && late.reason.contains("expiré"), "\(late.reason)")
            let list = try await api.send(.GET, path(f.session), token: f.table.mj.token).decode(WaitlistResponse.self)
            #expect(list.entries.isEmpty)
        }
    }

    /// Seats freed otherwise than by a departure go to the list too: more seats, and a player who
    /// becomes an observer.
    @Test(arguments: TestDatabase.enabled)
    func moreSeatsAndAPlayerTurnedObserverSeatTheList(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let f = try await full(api, seats: 1, waiting: 2)
            #expect(try await wait(api, f, 0).status == .created)
            #expect(try await wait(api, f, 1).status == .created)
            let raised = try await api.send(
                .PUT, "/api/sessions/\(f.session.id)", token: f.table.mj.token, json: ["max_players": 2])
            #expect(raised.status == .ok, "\(raised.reason)")
            #expect(try await seatedIDs(api, f) == [f.seated[0].id, f.waiting[0].0.id].sorted())
            let observer = try await api.send(
                .POST, "/api/sessions/\(f.session.id)/participants", token: f.table.mj.token,
                json: ["user_id": f.seated[0].id, "role": "observer"])
            #expect(observer.status == .ok, "\(observer.reason)")
            #expect(try await seatedIDs(api, f) == [f.waiting[0].0.id, f.waiting[1].0.id].sorted())
        }
    }

    /// Two seated players leave at once while two wait: each waiter is seated once, the seats
    /// stay at `max_players`, the list ends empty.
    @Test(arguments: TestDatabase.enabled)
    func twoDeparturesAtOnceSeatEachWaiterOnce(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let f = try await full(api, seats: 2, waiting: 3)
            for index in 0..<3 { #expect(try await wait(api, f, index).status == .created) }
            let statuses = try await withThrowingTaskGroup(of: HTTPStatusCodeBox.self) { group in
                for user in f.seated {
                    group.addTask {
                        HTTPStatusCodeBox(
                            code: try await api.send(
                                .POST, "/api/sessions/\(f.session.id)/leave", token: user.token
                            ).status.code)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1.code) }
            }
            #expect(statuses == [200, 200])
            #expect(try await seatedIDs(api, f) == [f.waiting[0].0.id, f.waiting[1].0.id].sorted())
            let list = try await api.send(.GET, path(f.session), token: f.table.mj.token).decode(WaitlistResponse.self)
            #expect(list.entries.map(\.userId) == [f.waiting[2].0.id])
        }
    }
}

private struct HTTPStatusCodeBox: Sendable {
    let code: UInt
}
