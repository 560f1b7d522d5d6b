import Foundation
import Testing

@testable import App

/// `etrange reset-password` and `POST /api/auth/reset`: a link opens the account once, within
/// the hour, and whoever held the old password or a token is out.
@Suite struct PasswordResetTests {
    /// The secret of a link the command printed, as the person would open it.
    static func secret(printedFor username: String, on api: TestAPI) async throws -> String {
        guard case .run(let arguments) = try EtrangeCommands.parser.parse(["etrange", "reset-password", username])
        else { throw UsageError("not a run") }
        let command = try EtrangeCommands.make(arguments)
        let message = try await #require(command as? ResetPasswordCommand).message(api.app)
        let prefix = "http://etrange.test/#/mot-de-passe/"
        let line = try #require(message.split(separator: "\n").first { $0.contains(prefix) })
        return String(try #require(line.split(separator: "/").last))
    }

    static func reset(_ secret: String, to password: String, on api: TestAPI) async throws -> APIResponse {
        try await api.send(.POST, "/api/auth/reset", json: ["secret": secret, "password": password])
    }

    @Test(arguments: TestDatabase.enabled)
    func theCommandsLinkSetsTheNewPasswordOnceAndRevokesEveryToken(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let user = try await api.register("oublieuse", password: "ancien-secret")
            let laptop = try await api.login("oublieuse", "ancien-secret").decode(AuthResponse.self)
            // Both tokens have been used, so the token cache holds them.
            #expect(try await api.send(.GET, "/api/me", token: user.token).status == .ok)
            #expect(try await api.send(.GET, "/api/me", token: laptop.token).status == .ok)
            let secret = try await Self.secret(printedFor: "Oublieuse", on: api)

            let short = try await Self.reset(secret, to: "court", on: api)
            #expect(short.error?.field == "password")
            let done = try await Self.reset(secret, to: "nouveau-secret", on: api)
            #expect(done.status == .noContent)

            #expect(try await api.send(.GET, "/api/me", token: user.token).status == .unauthorized)
            #expect(try await api.send(.GET, "/api/me", token: laptop.token).status == .unauthorized)
            #expect(try await api.login("oublieuse", "ancien-secret").status == .unauthorized)
            #expect(try await api.login("oublieuse", "nouveau-secret").status == .ok)

            // Used once: the second time is refused, in the words an unknown secret gets.
            let again = try await Self.reset(secret, to: "troisieme-secret", on: api)
            let unknown = try await Self.reset(UserToken.generate().value, to: "troisieme-secret", on: api)
            #expect(again.status == .badRequest)
            #expect(again.error?.field == "secret")
            #expect(again.text == unknown.text)
            #expect(try await api.login("oublieuse", "troisieme-secret").status == .unauthorized)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func aLinkExpiresAfterAnHour(db: TestDatabase) async throws {
        try await withApp(db) { api in
            _ = try await api.register("lente", password: "ancien-secret")
            let late = try await Self.secret(printedFor: "lente", on: api)
            api.clock.advance(by: 3600)
            let refused = try await Self.reset(late, to: "nouveau-secret", on: api)
            #expect(refused.error?.field == "secret")
            #expect(try await api.login("lente", "ancien-secret").status == .ok)

            let timely = try await Self.secret(printedFor: "lente", on: api)
            api.clock.advance(by: 3599)
            #expect(try await Self.reset(timely, to: "nouveau-secret", on: api).status == .noContent)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func aNewerLinkKillsTheOlder(db: TestDatabase) async throws {
        try await withApp(db) { api in
            _ = try await api.register("prudente", password: "ancien-secret")
            let older = try await Self.secret(printedFor: "prudente", on: api)
            let newer = try await Self.secret(printedFor: "prudente", on: api)
            #expect(try await Self.reset(older, to: "nouveau-secret", on: api).error?.field == "secret")
            #expect(try await Self.reset(newer, to: "nouveau-secret", on: api).status == .noContent)
            #expect(try await api.login("prudente", "nouveau-secret").status == .ok)
        }
    }

    /// The revoked tokens' live connections close too; someone else's stays open.
    @Test(arguments: TestDatabase.enabled)
    func theLiveConnectionsOfTheAccountClose(db: TestDatabase) async throws {
        try await withSession(db) { api, table, session in
            try await api.joinSession(session, table.player, character: try await api.armand(table))
            let mine = try await LiveClient.connect(api, session: session.id, token: table.player.token)
            let other = try await LiveClient.connect(api, session: session.id, token: table.mj.token)
            let secret = try await Self.secret(printedFor: table.player.username, on: api)
            #expect(try await Self.reset(secret, to: "nouveau-secret", on: api).status == .noContent)
            #expect(try await mine.waitForClose() != nil)
            try await other.waitFor("still open") { _ in true }
            #expect(other.socket?.isClosed == false)
        }
    }

    /// Two requests with the same link at once: the conditional write lets exactly one through.
    @Test(arguments: TestDatabase.enabled)
    func aLinkPresentedTwiceAtOnceWorksOnce(db: TestDatabase) async throws {
        try await withApp(db) { api in
            _ = try await api.register("pressee", password: "ancien-secret")
            let secret = try await Self.secret(printedFor: "pressee", on: api)
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for index in 0..<8 {
                    group.addTask { try await Self.reset(secret, to: "secret-\(index)-nouveau", on: api).status.code }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 204 }.count == 1)
            #expect(statuses.filter { $0 == 400 }.count == 7)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func anUnknownUsernameIsAnOperatorError(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let error = await #expect(throws: OperatorError.self) {
                try await Self.secret(printedFor: "personne", on: api)
            }
            #expect(error?.message == "aucun compte ne s'appelle « personne »")
        }
    }
}
