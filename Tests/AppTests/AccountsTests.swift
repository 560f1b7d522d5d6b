import Fluent
import Foundation
import Testing
import Vapor

@testable import App

@Suite struct AccountsTests {
    @Test(arguments: TestDatabase.enabled)
    func registerLoginMeLogout(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let created = try await api.send(
                .POST, "/api/auth/register",
                json: ["username": "Armand", "password": "secret-pass", "display_name": "Armand D."])
            #expect(created.status == .created)
            let auth = try created.decode(AuthResponse.self)
            #expect(auth.user.username == "Armand")
            #expect(auth.user.displayName == "Armand D.")
            #expect(auth.expiresAt == pinnedStart.addingTimeInterval(30 * 24 * 3600))
            #expect(!created.text.contains("password"))

            let login = try await api.login("armand", "secret-pass")
            #expect(login.status == .ok)
            let token = try login.decode(AuthResponse.self).token
            #expect(token != auth.token)

            let me = try await api.send(.GET, "/api/me", token: token)
            #expect(me.status == .ok)
            #expect(try me.decode(UserResponse.self).id == auth.user.id)

            #expect(try await api.send(.POST, "/api/auth/logout", token: token).status == .noContent)
            let after = try await api.send(.GET, "/api/me", token: token)
            #expect(after.status == .unauthorized)
            #expect(after.headers.first(name: .wwwAuthenticate) == "Bearer")
            // Logging out one device leaves the other signed in.
            #expect(try await api.send(.GET, "/api/me", token: auth.token).status == .ok)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func passwordsAreStoredAsBcrypt(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let user = try await api.register("bcrypt-user", password: "tres-secret")
            let stored = try #require(try await User.find(user.id, on: api.db))
            #expect(stored.passwordHash.hasPrefix("$2"))
            #expect(!stored.passwordHash.contains("tres-secret"))
            let tokens = try await UserToken.query(on: api.db).all()
            #expect(tokens.allSatisfy { $0.tokenHash != user.token && $0.tokenHash.count == 64 })
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func usernamesAreUniqueRegardlessOfCase(db: TestDatabase) async throws {
        try await withApp(db) { api in
            _ = try await api.register("Berenice")
            let again = try await api.send(
                .POST, "/api/auth/register", json: ["username": "bERENICE", "password": "another-one"])
            #expect(again.status == .conflict)
            #expect(again.reason.contains("déjà pris"))
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func simultaneousRegistrationsOfOneNameMakeOneAccount(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await api.send(
                            .POST, "/api/auth/register",
                            json: ["username": index % 2 == 0 ? "jumeau" : "JUMEAU", "password": "password-\(index)"]
                        ).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 7)
            #expect(try await User.query(on: api.db).count() == 1)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func invalidRegistrationsNameTheField(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let cases: [([String: Any], String)] = [
                (["username": "ab", "password": "longenough"], "username"),
                (["username": "with space", "password": "longenough"], "username"),
                (["username": String(repeating: "x", count: 33), "password": "longenough"], "username"),
                (["username": "valid", "password": "short"], "password"),
                (["username": "valid", "password": String(repeating: "é", count: 40)], "password"),
                (["password": "longenough"], "username"),
                (["username": "valid"], "password"),
                (["username": 12, "password": "longenough"], "username"),
                (
                    ["username": "valid", "password": "longenough", "display_name": String(repeating: "d", count: 65)],
                    "display_name"
                ),
            ]
            for (body, field) in cases {
                let response = try await api.send(.POST, "/api/auth/register", json: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.error?.field == field, "\(body): \(response.text)")
            }
            #expect(try await User.query(on: api.db).count() == 0)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func malformedBodiesAreRefusedCleanly(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let broken = try await api.send(.POST, "/api/auth/register", raw: "{\"username\": ")
            #expect(broken.status == .badRequest)
            #expect(broken.error?.reason.isEmpty == false)
            let array = try await api.send(.POST, "/api/auth/register", raw: "[1,2]")
            #expect(array.status == .badRequest)
            let huge = try await api.send(
                .POST, "/api/auth/register",
                json: ["username": "big", "password": String(repeating: "p", count: 100_000)])
            #expect(huge.status == .payloadTooLarge)
            #expect(huge.error != nil)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func wrongCredentialsGiveNoHint(db: TestDatabase) async throws {
        try await withApp(db) { api in
            _ = try await api.register("camille", password: "bonne-phrase")
            let wrongPassword = try await api.login("camille", "mauvaise")
            let unknownUser = try await api.login("personne", "bonne-phrase")
            #expect(wrongPassword.status == .unauthorized)
            #expect(unknownUser.status == .unauthorized)
            #expect(wrongPassword.reason == unknownUser.reason)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func tokensExpire(db: TestDatabase) async throws {
        try await withApp(db, configure: { $0.tokenLifetime = 3600 }) { api in
            let user = try await api.register("ephemere")
            api.clock.advance(by: 3599)
            #expect(try await api.send(.GET, "/api/me", token: user.token).status == .ok)
            api.clock.advance(by: 2)
            let expired = try await api.send(.GET, "/api/me", token: user.token)
            #expect(expired.status == .unauthorized)
            #expect(expired.reason.contains("expiré"))
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func missingAndForgedTokensAreRefused(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let user = try await api.register("vraie")
            #expect(try await api.send(.GET, "/api/me").status == .unauthorized)
            #expect(try await api.send(.GET, "/api/me", token: "forged-token").status == .unauthorized)
            #expect(try await api.send(.GET, "/api/me", token: user.token + "x").status == .unauthorized)
            #expect(
                try await api.send(.GET, "/api/me", token: String(repeating: "a", count: 5000)).status == .unauthorized)
            let basic = try await api.send(.GET, "/api/me", headers: ["Authorization": "Basic dXNlcjpwYXNz"])
            #expect(basic.status == .unauthorized)
            #expect(try await api.send(.POST, "/api/auth/logout").status == .unauthorized)
        }
    }
}
