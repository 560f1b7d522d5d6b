import Fluent
import Foundation
import Testing

@testable import App

/// A player leaves a partie; its MJ removes a member (`DELETE /api/parties/{id}/members/…`).
@Suite struct PartieLeavingTests {
    private func membersPath(_ partie: PartieResponse, _ who: String) -> String {
        "/api/parties/\(partie.id)/members/\(who)"
    }

    @Test(arguments: TestDatabase.enabled)
    func whoMayLeaveOrRemove(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let other = try await api.register("berthe")
            try await api.join(other, table.partie)
            let p = table.partie
            // A player cannot remove someone else; an outsider sees no partie; the MJ cannot go.
            let refused = try await api.send(.DELETE, membersPath(p, "\(other.id)"), token: table.player.token)
            #expect(refused.status == .forbidden, "\(refused.reason)")
            #expect(try await api.send(.DELETE, membersPath(p, "me"), token: table.outsider.token).status == .notFound)
            #expect(
                try await api.send(.DELETE, membersPath(p, "\(other.id)"), token: table.outsider.token).status
                    == .notFound)
            for who in ["me", "\(table.mj.id)"] {
                let mjLeaves = try await api.send(.DELETE, membersPath(p, who), token: table.mj.token)
                #expect(mjLeaves.status == .conflict && mjLeaves.reason.contains("confiez-la"), "\(mjLeaves.reason)")
            }
            #expect(
                try await api.send(.DELETE, membersPath(p, "\(table.mj.id)"), token: other.token).status == .forbidden)
            #expect(
                try await api.send(.DELETE, membersPath(p, "\(table.outsider.id)"), token: table.mj.token).status
                    == .notFound)

            // The player leaves: the partie leaves their list and answers 404; leaving twice is 404.
            #expect(try await api.send(.DELETE, membersPath(p, "me"), token: table.player.token).status == .noContent)
            #expect(try await api.send(.GET, "/api/parties/\(p.id)", token: table.player.token).status == .notFound)
            let list = try await api.send(.GET, "/api/parties", token: table.player.token).decode(
                Page<PartieResponse>.self)
            #expect(list.items.isEmpty)
            #expect(try await api.send(.DELETE, membersPath(p, "me"), token: table.player.token).status == .notFound)

            // The MJ removes the other one; a second time is 404.
            #expect(
                try await api.send(.DELETE, membersPath(p, "\(other.id)"), token: table.mj.token).status == .noContent)
            #expect(try await api.send(.GET, "/api/parties/\(p.id)", token: other.token).status == .notFound)
            #expect(
                try await api.send(.DELETE, membersPath(p, "\(other.id)"), token: table.mj.token).status == .notFound)
            let members = try await api.send(.GET, "/api/parties/\(p.id)/members", token: table.mj.token)
                .decode([MemberResponse].self)
            #expect(members.map(\.userId) == [table.mj.id])
        }
    }

    /// The seat ends as leaving the session ends it; what they wrote, drew and played stays;
    /// their character stays theirs; their live socket closes.
    @Test(arguments: TestDatabase.enabled)
    func removalEndsTheSeatKeepsTheHistoryAndClosesTheSocket(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            let player = t.table.player
            let sessionID = t.session.id
            let mjSocket = try await LiveClient.connect(api, session: sessionID, token: t.table.mj.token)
            let socket = try await LiveClient.connect(api, session: sessionID, token: player.token)
            let said = try await api.send(
                .POST, "/api/sessions/\(sessionID)/messages", token: player.token, json: ["body": "bonsoir"])
            #expect(said.status == .created, "\(said.reason)")
            let drew = try await api.drawCard(
                t.session, player,
                [
                    "character_id": t.armand.id.uuidString, "mode": "classic", "difficulty": 9,
                    "characteristic": ["name": "Agilité", "value": 3], "reason": "Sauter", "visibility": "public",
                ])
            #expect(drew.status == .created, "\(drew.reason)")
            api.clock.advance(by: 600)

            let removed = try await api.send(
                .DELETE, membersPath(t.table.partie, "\(player.id)"), token: t.table.mj.token)
            #expect(removed.status == .noContent, "\(removed.reason)")
            #expect(try await socket.waitForClose() != nil)
            try await mjSocket.waitFor("participant.left") { messages in
                messages.contains { $0.type == "participant.left" && $0.data["user_id"] as? Int == player.id }
            }

            let seat = try #require(
                try await SessionParticipant.query(on: api.db)
                    .filter(\.$session.$id == sessionID).filter(\.$user.$id == player.id).first())
            #expect(seat.isActive == false && seat.leftAt != nil)
            #expect(seat.totalTimeMinutes == 10 && seat.playingSince == nil)
            let presence = try await SessionPresence.query(on: api.db)
                .filter(\.$session.$id == sessionID).filter(\.$user.$id == player.id).first()
            #expect(presence?.isOnline == false)
            #expect(
                try await SessionMessage.query(on: api.db).filter(\.$user.$id == player.id).count() >= 1)
            #expect(try await SessionDraw.query(on: api.db).filter(\.$user.$id == player.id).count() == 1)
            let armand = try #require(try await Character.find(t.armand.id, on: api.db))
            #expect(armand.$user.id == player.id && armand.$partie.id == nil)
            // Their character is theirs alone now: the MJ no longer sees it.
            #expect(
                try await api.send(.GET, "/api/characters/\(t.armand.id)", token: t.table.mj.token).status
                    == .notFound)
            #expect(
                try await api.send(.GET, "/api/characters/\(t.armand.id)", token: player.token).status == .ok)
            // And the channel refuses them now.
            #expect(try await api.upgradeStatus("/api/sessions/\(sessionID)/live?token=\(player.token)") == 404)
        }
    }

    /// What another instance does with the notice `m:<partie>/<user>`: that person's sockets on
    /// the partie's sessions close, even one whose seat no `participant.left` event ended.
    @Test(arguments: TestDatabase.enabled)
    func theRemovalNoticeClosesTheSocketsOfAnotherInstance(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            let socket = try await LiveClient.connect(api, session: t.session.id, token: t.table.player.token)
            let mjSocket = try await LiveClient.connect(api, session: t.session.id, token: t.table.mj.token)
            // Another partie's number closes nothing.
            await PostgresListener.handle(
                "m:\(t.table.partie.id + 1)/\(t.table.player.id)", hub: api.app.live, tokens: api.app.tokenCache,
                parties: api.app.partieChanges)
            #expect(try await socket.waitForClose(seconds: 0.3) == nil)
            await PostgresListener.handle(
                "m:\(t.table.partie.id)/\(t.table.player.id)", hub: api.app.live, tokens: api.app.tokenCache,
                parties: api.app.partieChanges)
            #expect(try await socket.waitForClose() != nil)
            #expect(try await mjSocket.waitForClose(seconds: 0.3) == nil)
        }
    }

    /// The player takes a seat while leaving the partie: either the seat was taken first and
    /// leaving ended it, or the seat is refused; never a seat held by someone outside the partie.
    @Test(arguments: TestDatabase.enabled)
    func aSeatTakenWhileLeavingDoesNotOutliveTheMembership(db: TestDatabase) async throws {
        try await withSession(db) { api, table, session in
            let armand = try await api.armand(table)
            for _ in 0..<6 {
                async let joining = api.joinSession(session, table.player, character: armand)
                async let leaving = api.send(.DELETE, membersPath(table.partie, "me"), token: table.player.token)
                let (joined, left) = (try await joining.status, try await leaving.status)
                #expect(left == .noContent)
                #expect([.ok, .notFound].contains(joined), "\(joined)")
                let seated = try await SessionParticipant.query(on: api.db)
                    .filter(\.$session.$id == session.id).filter(\.$user.$id == table.player.id)
                    .filter(\.$isActive == true).count()
                #expect(seated == 0)
                try await api.join(table.player, table.partie)
            }
        }
    }

    /// The player leaves while the MJ removes them: one succeeds, the other gets the 404, and
    /// the seat was given up once.
    @Test(arguments: TestDatabase.enabled)
    func leavingWhileRemovedHappensOnce(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            let partie = t.table.partie
            let player = t.table.player
            async let leaving = api.send(.DELETE, membersPath(partie, "me"), token: player.token)
            async let removing = api.send(.DELETE, membersPath(partie, "\(player.id)"), token: t.table.mj.token)
            let statuses = [try await leaving.status, try await removing.status].map(\.code).sorted()
            #expect(statuses == [204, 404], "\(statuses)")
            #expect(
                try await PartieMember.query(on: api.db).filter(\.$user.$id == player.id).count() == 0)
            let lefts = try await SessionEvent.query(on: api.db)
                .filter(\.$session.$id == t.session.id).filter(\.$type == "participant.left").count()
            #expect(lefts == 1)
        }
    }
}
