import EtrangeDomain
import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor

@testable import App

/// Registrations, logins, password hashing and invitation codes under abuse.
@Suite struct AccountLimitsTests {
    func registration(_ username: String) -> [String: Any] {
        ["username": username, "password": "motdepasse"]
    }

    @Test(arguments: TestDatabase.enabled)
    func registrationsAreLimitedPerAddress(db: TestDatabase) async throws {
        try await withApp(db, configure: { $0.limits.registerPerAddress.burst = 3 }) { api in
            for index in 1...3 { _ = try await api.register("compte\(index)") }
            let refused = try await api.send(.POST, "/api/auth/register", json: registration("compte4"))
            #expect(refused.status == .tooManyRequests)
            #expect(refused.reason.contains("Trop de comptes"))
            let retry = try #require(refused.headers.first(name: .retryAfter).flatMap(Int.init))
            #expect(retry > 0 && retry <= 1200)
            // Another address has its own allowance.
            #expect(
                try await api.send(from: "127.0.0.2", .POST, "/api/auth/register", json: registration("compte5")).status
                    == .created)
            api.clock.advance(by: Double(retry))
            #expect(try await api.send(.POST, "/api/auth/register", json: registration("compte4")).status == .created)
            #expect(try await User.query(on: api.db).count() == 5)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func registrationsAreLimitedForEveryone(db: TestDatabase) async throws {
        try await withApp(db, configure: { $0.limits.registerGlobal.burst = 2 }) { api in
            let first = try await api.send(
                from: "127.0.0.2", .POST, "/api/auth/register", json: registration("premier"))
            #expect(first.status == .created, "\(first.status) \(first.reason)")
            #expect(
                try await api.send(from: "127.0.0.3", .POST, "/api/auth/register", json: registration("second")).status
                    == .created)
            let refused = try await api.send(
                from: "127.0.0.4", .POST, "/api/auth/register", json: registration("troisieme"))
            #expect(refused.status == .tooManyRequests && refused.headers.first(name: .retryAfter) != nil)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func failuresFromOneAddressDoNotLockTheOwnerOut(db: TestDatabase) async throws {
        try await withApp(db) { api in
            _ = try await api.register("cible", password: "la-bonne-phrase")
            for _ in 0..<10 {
                let guess = try await api.send(
                    from: "127.0.0.2", .POST, "/api/auth/login", json: ["username": "cible", "password": "devinette"])
                #expect(guess.status == .unauthorized)
            }
            // The guesser is blocked, even with the right password…
            let guesser = try await api.send(
                from: "127.0.0.2", .POST, "/api/auth/login", json: ["username": "cible", "password": "la-bonne-phrase"])
            #expect(guesser.status == .tooManyRequests)
            // …the owner, elsewhere, is not.
            #expect(try await api.login("cible", "la-bonne-phrase").status == .ok)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func correctPasswordsSpendNothing(db: TestDatabase) async throws {
        try await withApp(db, configure: { $0.limits.loginPerAccount.burst = 3 }) { api in
            _ = try await api.register("fidele", password: "la-bonne-phrase")
            let login = ["username": "fidele", "password": "la-bonne-phrase"]
            for _ in 0..<2 {
                #expect(try await api.login("fidele", "faute").status == .unauthorized)
            }
            for _ in 0..<6 { #expect(try await api.send(.POST, "/api/auth/login", json: login).status == .ok) }
            // Two failures spent two of three: one more is allowed, then none.
            #expect(try await api.login("fidele", "faute").status == .unauthorized)
            #expect(try await api.send(.POST, "/api/auth/login", json: login).status == .tooManyRequests)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func hashingBeyondItsQueueIsRefusedAtOnce(db: TestDatabase) async throws {
        try await withApp(
            db,
            configure: {
                $0.bcryptCost = 12
                $0.limits.hashThreads = 1
                $0.limits.hashQueue = 1
            }
        ) { api in
            _ = try await api.register("presse", password: "la-bonne-phrase")
            let statuses = try await withThrowingTaskGroup(of: APIResponse.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        try await api.send(
                            from: "127.0.0.\(index + 2)", .POST, "/api/auth/login",
                            json: ["username": "presse", "password": "la-bonne-phrase"])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let refused = statuses.filter { $0.status == .serviceUnavailable }
            #expect(!refused.isEmpty && statuses.filter { $0.status == .ok }.count >= 2)
            #expect(
                refused.allSatisfy { $0.headers.first(name: .retryAfter) == "2" && $0.reason.contains("réessayez") })
        }
    }

    @Test func signInsPassBeforeRegistrationsInTheHashingQueue() async throws {
        let gate = PasswordHashing.Gate(threads: 1, queue: nil)
        try await gate.enter(.bulk)
        let order = NIOLockedValueBox<[String]>([])
        let registration = Task {
            try await gate.enter(.bulk)
            order.withLockedValue { $0.append("registration") }
            await gate.leave()
        }
        while await gate.queued < 1 { await Task.yield() }
        let signIn = Task {
            try await gate.enter(.interactive)
            order.withLockedValue { $0.append("sign-in") }
            await gate.leave()
        }
        while await gate.queued < 2 { await Task.yield() }
        await gate.leave()
        try await registration.value
        try await signIn.value
        #expect(order.withLockedValue { $0 } == ["sign-in", "registration"])
    }

    @Test func hashingIsConfigured() throws {
        let config = try AppConfig.fromEnvironment(["ETRANGE_HASH_THREADS": "3", "ETRANGE_HASH_QUEUE": "40"])
        #expect(config.limits.hashThreads == 3 && config.limits.hashQueue == 40)
        #expect(try AppConfig.fromEnvironment([:]).limits.hashThreads == max(1, System.coreCount / 2))
        #expect(throws: (any Error).self) { try AppConfig.fromEnvironment(["ETRANGE_HASH_THREADS": "0"]) }
    }

    @Test(arguments: TestDatabase.enabled)
    func lookalikeNamesRegisteredTogetherMakeOneAccount(db: TestDatabase) async throws {
        // Latin, Cyrillic and Greek spellings of « papa », each in a single script.
        let names = ["papa", "рара", "РАРА", "ΡΑΡΑ", "Papa", "рАрА", "PAPA", "ΡΑΡα", "pApa", "Рара"]
        try await withApp(db, configure: { $0.limits.registerPerAddress.burst = 100 }) { api in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for name in names {
                    group.addTask {
                        try await api.send(
                            .POST, "/api/auth/register", json: ["username": name, "password": "motdepasse"]
                        ).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == .conflict }.count == 9, "\(statuses)")
            #expect(try await User.query(on: api.db).count() == 1)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func theMigrationGivesExistingAccountsTheirSkeleton(db: TestDatabase) async throws {
        try await withApp(db) { api in
            _ = try await api.register("mja")
            try await AddUsernameSkeleton().revert(on: api.db)
            // Before the rule, a Cyrillic look-alike could be registered beside it.
            try await (api.db as! any SQLDatabase).insert(into: User.schema)
                .columns("username", "username_key", "password_hash", "created_at", "updated_at")
                .values("mjа", "mjа", "$2b$04$decoy", pinnedStart, pinnedStart)
                .run()
            try await AddUsernameSkeleton().prepare(on: api.db)
            let users = try await User.query(on: api.db).sort(\.$id).all()
            #expect(users.map(\.usernameSkeleton) == ["mja", "mja#2"])
            // Both still sign in; nobody new can take either look.
            #expect(try await api.login("mja", "motdepasse").status == .ok)
            #expect(try await api.send(.POST, "/api/auth/register", json: registration("MJA")).status == .conflict)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func namesCannotImpersonate(db: TestDatabase) async throws {
        try await withApp(db) { api in
            _ = try await api.register("mja")
            let mixed = try await api.send(.POST, "/api/auth/register", json: registration("mjа"))
            #expect(mixed.status == .badRequest && mixed.error?.field == "username")
            #expect(mixed.reason.contains("Cyrillic") && mixed.reason.contains("Latin"))
            let cyrillic = try await api.send(.POST, "/api/auth/register", json: registration("МЈА"))
            #expect(cyrillic.status == .conflict && cyrillic.reason.contains("ressemble"))
            let lookalike = try await api.send(.POST, "/api/auth/register", json: registration("ｍｊａ"))
            #expect(lookalike.status == .conflict && lookalike.reason.contains("déjà pris"))
            let marks = try await api.send(
                .POST, "/api/auth/register", json: registration("abc" + String(repeating: "\u{301}", count: 5000)))
            #expect(marks.status == .badRequest && marks.error?.field == "username")
            // Compatibility forms are stored as the characters they show.
            let wide = try await api.send(.POST, "/api/auth/register", json: registration("ｆｕｌｌ"))
            #expect(try wide.decode(AuthResponse.self).user.username == "full")
            // A name and its skeleton are the same for an existing account: it still signs in.
            #expect(try await api.login("MJA", "motdepasse").status == .ok)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func displayNamesLoseTheirBidiControls(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let created = try await api.send(
                .POST, "/api/auth/register",
                json: [
                    "username": "inverse", "password": "motdepasse",
                    "display_name": "\u{202E}Marianne\u{202C} \u{2066}MJ\u{2069}\u{200F}",
                ])
            #expect(try created.decode(AuthResponse.self).user.displayName == "Marianne MJ")
            let onlyControls = try await api.send(
                .POST, "/api/auth/register",
                json: ["username": "vide", "password": "motdepasse", "display_name": "\u{202E}\u{2066}"])
            #expect(try onlyControls.decode(AuthResponse.self).user.displayName == nil)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func invitationCodesCannotBeGuessed(db: TestDatabase) async throws {
        try await withTable(
            db,
            configure: {
                $0.limits.joinPerUser.burst = 3
                $0.limits.joinPerAddress.burst = 5
            }
        ) { api, table in
            let code = try #require(table.partie.inviteCode)
            // Codes that exist cost nothing.
            for _ in 0..<6 { try await api.join(table.player, table.partie) }
            for _ in 0..<3 {
                let miss = try await api.send(
                    .POST, "/api/parties/join", token: table.outsider.token, json: ["invite_code": "AAAAAAAA"])
                #expect(miss.status == .notFound)
            }
            let blocked = try await api.send(
                .POST, "/api/parties/join", token: table.outsider.token, json: ["invite_code": code])
            #expect(blocked.status == .tooManyRequests && blocked.reason.contains("codes d'invitation"))
            #expect(blocked.headers.first(name: .retryAfter).flatMap(Int.init) != nil)
            // The address has spent three of its five: another account there gets two more.
            let other = try await api.register("complice")
            for _ in 0..<2 {
                #expect(
                    try await api.send(
                        .POST, "/api/parties/join", token: other.token, json: ["invite_code": "BBBBBBBB"]
                    ).status == .notFound)
            }
            #expect(
                try await api.send(.POST, "/api/parties/join", token: other.token, json: ["invite_code": "CCCCCCCC"])
                    .status == .tooManyRequests)
            // From elsewhere, that account still joins.
            #expect(
                try await api.send(
                    from: "127.0.0.2", .POST, "/api/parties/join", token: other.token, json: ["invite_code": code]
                ).status == .ok)
            api.clock.advance(by: 15 * 60)
            #expect(
                try await api.send(.POST, "/api/parties/join", token: table.outsider.token, json: ["invite_code": code])
                    .status == .ok)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func charactersScenariosAndDeckActionsHaveAllowances(db: TestDatabase) async throws {
        try await withCardTable(
            db,
            configure: {
                $0.limits.characters.burst = 2
                $0.limits.scenarios.burst = 2
                $0.limits.deckActions.burst = 2
            }
        ) { api, t in
            // CardTable made one character for the player.
            _ = try await api.createCharacter(t.table.player, name: "Second")
            let character = try await api.send(
                .POST, "/api/characters", token: t.table.player.token, json: ["name": "Troisième"])
            #expect(character.status == .tooManyRequests && character.reason.contains("personnages"))
            for index in 1...2 {
                #expect(
                    try await api.send(
                        .POST, "/api/scenarios", token: t.table.mj.token, json: ["title": "Scénario \(index)"]
                    ).status == .created)
            }
            let scenario = try await api.send(
                .POST, "/api/scenarios", token: t.table.mj.token, json: ["title": "Encore"])
            #expect(scenario.status == .tooManyRequests && scenario.headers.first(name: .retryAfter) != nil)
            let reset = "/api/characters/\(t.armand.id)/pot/reset"
            for _ in 0..<2 { #expect(try await api.send(.POST, reset, token: t.table.mj.token).status == .ok) }
            let deck = try await api.send(.POST, reset, token: t.table.mj.token)
            #expect(deck.status == .tooManyRequests && deck.reason.contains("paquet"))
            api.clock.advance(by: 60)
            #expect(try await api.send(.POST, reset, token: t.table.mj.token).status == .ok)
        }
    }
}
