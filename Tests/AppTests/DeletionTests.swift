import EtrangeDomain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// The MJ deletes a partie, a player a character, someone their account; the MJ hands a partie
/// over (`DELETE /api/parties/{id}`, `DELETE /api/characters/{id}`, `DELETE /api/me`,
/// `POST /api/parties/{id}/transfer`).
@Suite struct DeletionTests {
    private func draw(_ api: TestAPI, _ t: CardTable) async throws {
        let body: [String: Any] = [
            "character_id": t.armand.id.uuidString, "mode": "classic", "difficulty": 9,
            "characteristic": ["name": "Agilité", "value": 3], "reason": "Sauter", "visibility": "public",
        ]
        let drew = try await api.drawCard(t.session, t.table.player, body)
        try #require(drew.status == .created, "\(drew.reason)")
    }

    private func leaveSession(_ api: TestAPI, _ t: CardTable) async throws {
        let left = try await api.send(.POST, "/api/sessions/\(t.session.id)/leave", token: t.table.player.token)
        try #require(left.status == .ok || left.status == .noContent, "\(left.reason)")
    }

    /// Migration 017 goes back and comes again, with data in its tables, on both databases.
    @Test(arguments: TestDatabase.enabled)
    func theDeletionMarkersRevert(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            _ = try await api.armand(table)
            try await AddDeletionMarkers().revert(on: api.db)
            try await AddDeletionMarkers().prepare(on: api.db)
            let mine = try await api.send(.GET, "/api/characters", token: table.player.token)
                .decode(Page<CharacterResponse>.self)
            #expect(mine.items.map(\.name) == ["Armand"])
        }
    }

    // MARK: - A partie

    @Test(arguments: TestDatabase.enabled)
    func onlyTheMJDeletesAPartieAfterTypingItsName(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            let p = t.table.partie
            let path = "/api/parties/\(p.id)"
            #expect(
                try await api.send(.DELETE, path, token: t.table.outsider.token, json: ["confirm_name": p.name]).status
                    == .notFound)
            #expect(
                try await api.send(.DELETE, path, token: t.table.player.token, json: ["confirm_name": p.name]).status
                    == .forbidden)
            for wrong: Any in ["La campagne", "", NSNull()] {
                let refused = try await api.send(.DELETE, path, token: t.table.mj.token, json: ["confirm_name": wrong])
                #expect(
                    refused.status == .badRequest && refused.reason.contains("tapez exactement"), "\(refused.reason)")
            }
            #expect(try await api.send(.GET, path, token: t.table.mj.token).status == .ok)
        }
    }

    /// Sessions, draws, chat, handouts (their files too), polls, webhooks, members go at once;
    /// the live sockets of its sessions close; characters stay their players'.
    @Test(arguments: TestDatabase.enabled)
    func aDeletedPartieTakesEverythingOfItsOwnAndClosesItsSockets(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            let p = t.table.partie
            let mj = t.table.mj
            let socket = try await LiveClient.connect(api, session: t.session.id, token: t.table.player.token)
            #expect(
                try await api.send(
                    .POST, "/api/sessions/\(t.session.id)/messages", token: t.table.player.token,
                    json: ["body": "bonsoir"]
                ).status == .created)
            try await draw(api, t)
            let scheduled = try await api.createSession(t.table, name: "La suite")
            let handout = try await api.upload(HandoutFixtures.png, as: mj, to: p).decode(HandoutResponse.self)
            let slots = [1.0, 2].map { JSONCoding.format(api.clock.now().addingTimeInterval($0 * 86400)) }
            #expect(
                try await api.send(
                    .POST, "/api/parties/\(p.id)/polls", token: mj.token, json: ["name": "La suite", "slots": slots]
                ).status == .created)
            #expect(
                try await api.send(
                    .PUT, "/api/parties/\(p.id)/webhook", token: mj.token,
                    json: ["url": "https://discord.com/api/webhooks/1/x"]
                ).status == .ok)
            #expect(
                try await api.send(
                    .PUT, "/api/sessions/\(scheduled.id)/rsvp", token: t.table.player.token, json: ["answer": "yes"]
                ).status == .ok)
            let other = try await api.createPartie(mj, name: "Une autre")
            let kept = try await api.createSession(t.table, name: "Ailleurs", extra: ["partie_id": other.id])

            let deleted = try await api.send(
                .DELETE, "/api/parties/\(p.id)", token: mj.token, json: ["confirm_name": " \(p.name) "])
            #expect(deleted.status == .noContent, "\(deleted.reason)")
            #expect(try await socket.waitForClose() != nil)

            #expect(try await Partie.find(p.id, on: api.db) == nil)
            #expect(try await Session.query(on: api.db).filter(\.$partie.$id == p.id).count() == 0)
            #expect(try await Session.find(kept.id, on: api.db) != nil, "another partie's session stays")
            for table in [
                "session_draws", "session_messages", "session_participants", "session_presence", "session_events",
                "session_rsvps",
            ] {
                let rows = try await api.db.sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()
                #expect(try rows?.decode(column: "n", as: Int.self) == 0, "\(table)")
            }
            for (table, column) in [
                ("partie_members", "partie_id"), ("date_polls", "partie_id"), ("handouts", "partie_id"),
                ("partie_webhooks", "partie_id"),
            ] {
                let rows = try await api.db.sql.raw(
                    "SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE \(unsafeRaw: column) = \(bind: p.id)"
                ).first()
                #expect(try rows?.decode(column: "n", as: Int.self) == 0, "\(table)")
            }
            if case .folder(let folder) = api.app.handoutStorage {
                #expect(
                    !FileManager.default.fileExists(atPath: folder.appendingPathComponent(handout.id.uuidString).path))
            }
            let armand = try #require(try await Character.find(t.armand.id, on: api.db))
            #expect(armand.$partie.id == nil && armand.deletedAt == nil)
            #expect(try await api.send(.GET, "/api/parties/\(p.id)", token: mj.token).status == .notFound)
            #expect(try await api.upgradeStatus("/api/sessions/\(t.session.id)/live?token=\(mj.token)") == 404)
        }
    }

    /// The table plays on while the partie is deleted: every chat line and draw is either in
    /// before the deletion (and goes with it) or refused as for a session that does not exist;
    /// never a server error, never a row left behind.
    @Test(arguments: TestDatabase.enabled)
    func aPartieDeletedInTheMiddleOfPlayRefusesWhatComesAfter(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        if index % 3 == 0 {
                            return try await api.drawCard(
                                t.session, t.table.player,
                                [
                                    "character_id": t.armand.id.uuidString, "mode": "classic", "difficulty": 9,
                                    "characteristic": ["name": "Agilité", "value": 3], "visibility": "public",
                                ]
                            ).status
                        }
                        return try await api.send(
                            .POST, "/api/sessions/\(t.session.id)/messages", token: t.table.player.token,
                            json: ["body": "encore \(index)"]
                        ).status
                    }
                }
                group.addTask {
                    try await api.send(
                        .DELETE, "/api/parties/\(t.table.partie.id)", token: t.table.mj.token,
                        json: ["confirm_name": t.table.partie.name]
                    ).status
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .noContent }.count == 1, "\(statuses)")
            #expect(
                statuses.allSatisfy { [.created, .noContent, .notFound, .forbidden, .conflict].contains($0) },
                "\(statuses)")
            for table in ["session_draws", "session_messages", "session_events"] {
                let rows = try await api.db.sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()
                #expect(try rows?.decode(column: "n", as: Int.self) == 0, "\(table)")
            }
        }
    }

    // MARK: - A character

    @Test(arguments: TestDatabase.enabled)
    func onlyItsPlayerDeletesACharacterOnceOutOfTheSession(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            let path = "/api/characters/\(t.armand.id)"
            #expect(try await api.send(.DELETE, path, token: t.table.outsider.token).status == .notFound)
            #expect(try await api.send(.DELETE, path, token: t.table.mj.token).status == .forbidden)
            let seated = try await api.send(.DELETE, path, token: t.table.player.token)
            #expect(seated.status == .conflict && seated.reason.contains("quittez-la"), "\(seated.reason)")
            #expect(try await api.send(.GET, path, token: t.table.player.token).status == .ok)
            try await leaveSession(api, t)
            #expect(try await api.send(.DELETE, path, token: t.table.player.token).status == .noContent)
            #expect(try await api.send(.DELETE, path, token: t.table.player.token).status == .notFound)
            #expect(try await api.send(.GET, path, token: t.table.player.token).status == .notFound)
            let mine = try await api.send(.GET, "/api/characters", token: t.table.player.token)
                .decode(Page<CharacterResponse>.self)
            #expect(mine.items.isEmpty)
            // Neither played again nor drawn for.
            let again = try await api.joinSession(t.session, t.table.player, character: t.armand)
            #expect(again.status == .badRequest || again.status == .notFound, "\(again.reason)")
        }
    }

    /// Its past draws and seats stay, and read « personnage supprimé » where its name was; its
    /// sheet is gone from the row.
    @Test(arguments: TestDatabase.enabled)
    func aDeletedCharactersDrawsAndSeatsStayReadable(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            try await draw(api, t)
            try await leaveSession(api, t)
            #expect(
                try await api.send(.DELETE, "/api/characters/\(t.armand.id)", token: t.table.player.token).status
                    == .noContent)
            let draws = try await api.send(.GET, "/api/sessions/\(t.session.id)/draws", token: t.table.mj.token)
                .decode(Page<DrawResponse>.self)
            #expect(draws.items.map(\.characterName) == [Character.deletedName])
            #expect(draws.items.map(\.characterId) == [t.armand.id])
            let seats = try await api.send(
                .GET, "/api/sessions/\(t.session.id)/participants", token: t.table.mj.token
            ).decode([ParticipantResponse].self)
            let seat = try #require(seats.first { $0.userId == t.table.player.id })
            #expect(seat.characterName == Character.deletedName)
            let row = try #require(try await Character.find(t.armand.id, on: api.db))
            #expect(row.name == Character.deletedName && row.deletedAt != nil && row.$partie.id == nil)
            #expect(try row.sheet() == CharacterSheet.appDefaults)
        }
    }

    /// A seat taken with the character while it is being deleted: either the seat came first and
    /// the deletion is refused, or the seat is refused; never a seat with a deleted character.
    @Test(arguments: TestDatabase.enabled)
    func aSeatTakenWhileDeletingTheCharacterNeverHoldsATombstone(db: TestDatabase) async throws {
        try await withSession(db) { api, table, session in
            for round in 0..<5 {
                let character = try await api.createCharacter(
                    table.player, name: "Armand \(round)", partieID: table.partie.id)
                async let joining = api.joinSession(session, table.player, character: character)
                async let deleting = api.send(
                    .DELETE, "/api/characters/\(character.id)", token: table.player.token)
                let (joined, deleted) = (try await joining.status, try await deleting.status)
                #expect(
                    (joined == .ok || joined == .created) != (deleted == .noContent),
                    "join \(joined), delete \(deleted)")
                let held = try await SessionParticipant.query(on: api.db)
                    .join(Character.self, on: \SessionParticipant.$character.$id == \Character.$id)
                    .filter(\.$isActive == true).filter(Character.self, \.$deletedAt != nil).count()
                #expect(held == 0)
                _ = try await api.send(.POST, "/api/sessions/\(session.id)/leave", token: table.player.token)
            }
        }
    }

    // MARK: - Handing a partie over

    @Test(arguments: TestDatabase.enabled)
    func theMJHandsThePartieToAMemberBetweenEvenings(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            let (mj, player) = (t.table.mj, t.table.player)
            let path = "/api/parties/\(t.table.partie.id)/transfer"
            #expect(
                try await api.send(.POST, path, token: t.table.outsider.token, json: ["user_id": player.id]).status
                    == .notFound)
            #expect(
                try await api.send(.POST, path, token: player.token, json: ["user_id": player.id]).status == .forbidden)
            for target in [t.table.outsider.id, mj.id] {
                let refused = try await api.send(.POST, path, token: mj.token, json: ["user_id": target])
                #expect(refused.status == .badRequest && refused.error?.field == "user_id", "\(refused.reason)")
            }
            let running = try await api.send(.POST, path, token: mj.token, json: ["user_id": player.id])
            #expect(running.status == .conflict && running.reason.contains("en cours"), "\(running.reason)")

            #expect(try await api.send(.POST, "/api/sessions/\(t.session.id)/end", token: mj.token).status == .ok)
            let next = try await api.createSession(t.table, name: "La suite")
            let seated = try await api.joinSession(next, player, character: t.armand)
            #expect(seated.status == .ok || seated.status == .created, "\(seated.reason)")
            let mjSocket = try await LiveClient.connect(api, session: next.id, token: mj.token)
            let playerSocket = try await LiveClient.connect(api, session: next.id, token: player.token)
            let moved = try await api.send(.POST, path, token: mj.token, json: ["user_id": player.id])
            #expect(moved.status == .ok, "\(moved.reason)")
            let partie = try moved.decode(PartieResponse.self)
            #expect(partie.mjId == player.id && partie.role == .player && partie.inviteCode == nil)
            // Both sockets are told, then closed so that each comes back with the rights it now has.
            try await playerSocket.waitFor("partie.transferred") { messages in
                messages.contains { $0.type == "partie.transferred" && $0.data["mj_id"] as? Int == player.id }
            }
            #expect(try await mjSocket.waitForClose() != nil)
            #expect(try await playerSocket.waitForClose() != nil)

            let members = try await api.send(.GET, "/api/parties/\(partie.id)/members", token: mj.token)
                .decode([MemberResponse].self)
            #expect(members.map(\.userId) == [player.id, mj.id] && members.map(\.role) == [.mj, .player])
            #expect(
                try await api.send(.PUT, "/api/parties/\(partie.id)", token: mj.token, json: ["name": "À moi"]).status
                    == .forbidden)
            #expect(try await api.send(.POST, path, token: mj.token, json: ["user_id": mj.id]).status == .forbidden)
            // The old MJ may leave now; the new one deletes the partie.
            #expect(
                try await api.send(.DELETE, "/api/parties/\(partie.id)/members/me", token: mj.token).status
                    == .noContent)
            #expect(
                try await api.send(
                    .DELETE, "/api/parties/\(partie.id)", token: player.token, json: ["confirm_name": partie.name]
                ).status == .noContent)
        }
    }

    /// The member a partie is handed to leaves at that moment: either they left first and the
    /// transfer is refused, or they are the MJ and may not leave; the MJ is always a member.
    @Test(arguments: TestDatabase.enabled)
    func aMemberLeavingWhileThePartieIsHandedToThemLeavesItWithAnMJ(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let p = table.partie.id
            for _ in 0..<6 {
                async let moving = api.send(
                    .POST, "/api/parties/\(p)/transfer", token: table.mj.token, json: ["user_id": table.player.id])
                async let leaving = api.send(.DELETE, "/api/parties/\(p)/members/me", token: table.player.token)
                let (moved, left) = (try await moving.status, try await leaving.status)
                #expect((moved == .ok) != (left == .noContent), "transfer \(moved), leave \(left)")
                let partie = try #require(try await Partie.find(p, on: api.db))
                #expect(try await Partie.isMember(p, userID: partie.$mj.id, on: api.db))
                if moved == .ok {
                    let back = try await api.send(
                        .POST, "/api/parties/\(p)/transfer", token: table.player.token, json: ["user_id": table.mj.id])
                    try #require(back.status == .ok, "\(back.reason)")
                } else {
                    try await api.join(table.player, table.partie)
                }
            }
        }
    }

    // MARK: - An account

    @Test(arguments: TestDatabase.enabled)
    func anMJWhoStillRunsPartiesIsToldWhichAndAWrongPasswordDeletesNothing(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let second = try await api.createPartie(table.mj, name: "Les Catacombes")
            let refused = try await api.send(
                .DELETE, "/api/me", token: table.mj.token, json: ["password": "motdepasse"])
            #expect(refused.status == .conflict, "\(refused.text)")
            let listed = try #require(refused.object["parties"] as? [[String: Any]])
            #expect(listed.map { $0["id"] as? Int } == [table.partie.id, second.id])
            #expect(listed.map { $0["name"] as? String } == ["La Campagne", "Les Catacombes"])
            #expect(refused.reason.contains("confiez"))

            let wrong = try await api.send(.DELETE, "/api/me", token: table.player.token, json: ["password": "non"])
            #expect(wrong.status == .forbidden && wrong.reason.contains("incorrect"), "\(wrong.reason)")
            #expect(try await api.send(.GET, "/api/me", token: table.player.token).status == .ok)
            #expect(try await api.send(.DELETE, "/api/me", token: nil, json: ["password": "x"]).status == .unauthorized)

            // Once each partie is handed over or deleted, the MJ may go.
            let moved = try await api.send(
                .POST, "/api/parties/\(table.partie.id)/transfer", token: table.mj.token,
                json: ["user_id": table.player.id])
            #expect(moved.status == .ok, "\(moved.reason)")
            #expect(
                try await api.send(
                    .DELETE, "/api/parties/\(second.id)", token: table.mj.token, json: ["confirm_name": second.name]
                ).status == .noContent)
            let gone = try await api.send(.DELETE, "/api/me", token: table.mj.token, json: ["password": "motdepasse"])
            #expect(gone.status == .noContent, "\(gone.reason)")
        }
    }

    /// Wrong passwords are slowed as logins are.
    @Test(arguments: TestDatabase.enabled)
    func guessingThePasswordIsRateLimited(db: TestDatabase) async throws {
        try await withTable(db, configure: { $0.limits.loginPerAccount.burst = 3 }) { api, table in
            var statuses: [HTTPResponseStatus] = []
            for _ in 0..<4 {
                statuses.append(
                    try await api.send(.DELETE, "/api/me", token: table.player.token, json: ["password": "non"]).status)
            }
            #expect(statuses == [.forbidden, .forbidden, .forbidden, .tooManyRequests])
        }
    }

    /// Tokens, the calendar feed and the name go at once; chat lines and draws stay, under
    /// « Ancien·ne joueur·se n » and « personnage supprimé »; memberships end; sockets close.
    @Test(arguments: TestDatabase.enabled)
    func aDeletedAccountLeavesAnAnonymousTraceAndNothingToSignInWith(db: TestDatabase) async throws {
        try await withCardTable(db) { api, t in
            let player = t.table.player
            let second = try await api.send(
                .POST, "/api/auth/login", json: ["username": "armand", "password": "motdepasse"]
            )
            .decode(AuthResponse.self).token
            #expect(
                try await api.send(
                    .POST, "/api/sessions/\(t.session.id)/messages", token: player.token, json: ["body": "bonsoir"]
                ).status == .created)
            try await draw(api, t)
            let feed = try await api.send(.POST, "/api/calendar/feed", token: player.token)
            let feedURL = try #require(feed.object["url"] as? String)
            let feedPath = try #require(URL(string: feedURL)).path
            #expect(try await api.send(.GET, feedPath).status == .ok)
            let next = try await api.createSession(t.table, name: "La suite")
            let past = try await api.createSession(t.table, name: "Hier")
            for session in [next, past] {
                let answered = try await api.send(
                    .PUT, "/api/sessions/\(session.id)/rsvp", token: player.token, json: ["answer": "yes"])
                #expect(answered.status == .ok, "\(answered.reason)")
            }
            #expect(try await api.send(.POST, "/api/sessions/\(past.id)/cancel", token: t.table.mj.token).status == .ok)
            let socket = try await LiveClient.connect(api, session: t.session.id, token: player.token)
            let mjSocket = try await LiveClient.connect(api, session: t.session.id, token: t.table.mj.token)

            let deleted = try await api.send(.DELETE, "/api/me", token: player.token, json: ["password": "motdepasse"])
            #expect(deleted.status == .noContent, "\(deleted.reason)")
            #expect(try await socket.waitForClose() != nil)
            for token in [player.token, second] {
                #expect(try await api.send(.GET, "/api/me", token: token).status == .unauthorized)
            }
            #expect(try await api.send(.GET, feedPath).status == .notFound)
            #expect(try await api.login("armand", "motdepasse").status == .unauthorized)
            let again = try await api.register("armand")
            #expect(again.id != player.id, "the username is free again")

            let name = AccountDeletion.formerName(1)
            try await mjSocket.waitFor("participant.left") { messages in
                messages.contains { $0.type == "participant.left" && $0.data["user_id"] as? Int == player.id }
            }
            let lines = try await api.send(.GET, "/api/sessions/\(t.session.id)/messages", token: t.table.mj.token)
                .decode(MessagePage.self)
            let line = try #require(lines.items.first { $0.userId == player.id })
            #expect(line.body == "bonsoir" && line.displayName == name && line.username != "armand")
            let draws = try await api.send(.GET, "/api/sessions/\(t.session.id)/draws", token: t.table.mj.token)
                .decode(Page<DrawResponse>.self)
            #expect(draws.items.map(\.displayName) == [name])
            #expect(draws.items.map(\.characterName) == [Character.deletedName])
            let members = try await api.send(.GET, "/api/parties/\(t.table.partie.id)/members", token: t.table.mj.token)
                .decode([MemberResponse].self)
            #expect(members.map(\.userId) == [t.table.mj.id])
            let row = try #require(try await User.find(player.id, on: api.db))
            #expect(row.displayName == name && row.passwordHash.isEmpty)
            #expect(try await UserToken.query(on: api.db).filter(\.$user.$id == player.id).count() == 0)
            #expect(try await CalendarFeed.query(on: api.db).filter(\.$user.$id == player.id).count() == 0)
            // Their answer to the session to come goes; the one of a session over stays.
            let answers = try await SessionRSVP.query(on: api.db).filter(\.$user.$id == player.id).all(\.$session.$id)
            #expect(answers == [past.id])
        }
    }

    /// Accounts deleted at once each get their own number.
    @Test(arguments: TestDatabase.enabled)
    func accountsDeletedAtOnceGetDistinctNumbers(db: TestDatabase) async throws {
        try await withApp(db) { api in
            var people: [TestUser] = []
            for index in 0..<6 { people.append(try await api.register("partant\(index)")) }
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for person in people {
                    group.addTask {
                        try await api.send(.DELETE, "/api/me", token: person.token, json: ["password": "motdepasse"])
                            .status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .noContent }, "\(statuses)")
            let names = try await User.query(on: api.db).filter(\.$id ~~ people.map(\.id)).all().compactMap(
                \.displayName)
            #expect(Set(names) == Set((1...6).map(AccountDeletion.formerName)))
        }
    }
}
