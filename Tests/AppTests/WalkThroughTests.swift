import Foundation
import Testing
import Vapor

@testable import App

/// What a walk-through of the web page found missing on the server: the invitation page before
/// sign-up (`GET /api/invitations/{code}`), the page served for addresses written without their
/// `#`, and « Mon compte » changing the display name (`PUT /api/me`).
@Suite struct WalkThroughTests {
    @Test(arguments: TestDatabase.enabled)
    func aValidCodeNamesThePartieAndItsMJOnly(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let mj = try await api.register("marianne", displayName: "Madame Irma")
            let partie = try await api.createPartie(mj, name: "Les Brumes de Carnac")
            let code = try #require(partie.inviteCode)
            // No token: the person has no account yet.
            let response = try await api.send(.GET, "/api/invitations/\(code.lowercased())")
            #expect(response.status == .ok, "\(response.text)")
            // Nothing else about the partie: not its id, its members, its code nor the MJ's account.
            #expect(Set(response.object.keys) == ["partie_name", "mj_name"], "\(response.text)")
            #expect(response.object["partie_name"] as? String == "Les Brumes de Carnac")
            #expect(response.object["mj_name"] as? String == "Madame Irma")

            // Without a display name, the MJ is named by their username.
            let other = try await api.register("gaston")
            let second = try await api.createPartie(other, name: "Seconde table")
            let named = try await api.send(.GET, "/api/invitations/\(try #require(second.inviteCode))")
            #expect(named.object["mj_name"] as? String == "gaston")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func aBadCodeIsAFrench404(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let mj = try await api.register("marianne")
            let partie = try await api.createPartie(mj)
            for bad in ["AAAAAAAA", String(repeating: "B", count: 40), "%20"] {
                let response = try await api.send(.GET, "/api/invitations/\(bad)")
                #expect(response.status == .notFound, "\(bad): \(response.text)")
                #expect(response.error?.reason.contains("Code d'invitation inconnu") == true, "\(response.text)")
            }
            // A rotated code stops opening the partie.
            let old = try #require(partie.inviteCode)
            let rotated = try await api.send(.POST, "/api/parties/\(partie.id)/invite/rotate", token: mj.token)
            #expect(rotated.status == .ok)
            #expect(try await api.send(.GET, "/api/invitations/\(old)").status == .notFound)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func guessingSharesTheJoiningAllowance(db: TestDatabase) async throws {
        try await withTable(db, configure: { $0.limits.joinPerAddress.burst = 3 }) { api, table in
            let code = try #require(table.partie.inviteCode)
            // A code that exists costs nothing.
            for _ in 0..<5 { #expect(try await api.send(.GET, "/api/invitations/\(code)").status == .ok) }
            for _ in 0..<2 { #expect(try await api.send(.GET, "/api/invitations/ZZZZZZZZ").status == .notFound) }
            // The third miss is spent by joining: the preview is no second way to guess.
            let miss = try await api.send(
                .POST, "/api/parties/join", token: table.outsider.token, json: ["invite_code": "YYYYYYYY"])
            #expect(miss.status == .notFound)
            let blocked = try await api.send(.GET, "/api/invitations/\(code)")
            #expect(blocked.status == .tooManyRequests, "\(blocked.text)")
            #expect(blocked.reason.contains("codes d'invitation"))
            #expect(blocked.headers.first(name: .retryAfter).flatMap(Int.init) != nil)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func pathsWithoutTheHashServeThePage(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let html: HTTPHeaders = ["Accept": "text/html,application/xhtml+xml,*/*;q=0.8"]
            for path in ["/parties/1", "/sessions/5F1C8E2A-3B4D-4C6E-8F90-1A2B3C4D5E6F", "/compte"] {
                let page = try await api.send(.GET, path, headers: html)
                #expect(page.status == .ok, "\(path): \(page.status)")
                #expect(page.headers.contentType?.subType == "html", "\(path)")
                #expect(page.text.contains("<main id=\"main\""), "\(path)")
            }
            // The API keeps its JSON, even for a browser; other clients get the JSON 404 too.
            let api404 = try await api.send(.GET, "/api/nulle-part", headers: html)
            #expect(api404.status == .notFound && api404.error != nil)
            let json = try await api.send(.GET, "/parties/1", headers: ["Accept": "application/json"])
            #expect(json.status == .notFound && json.error != nil)
            let post = try await api.send(.POST, "/parties/1", headers: html)
            #expect(post.status == .notFound && post.error != nil)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func theDisplayNameChangesAtOnce(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let user = try await api.register("marianne", displayName: "Madame Irma")
            // Read once, so that the token's account is in the cache the change must not leave stale.
            #expect(
                try await api.send(.GET, "/api/me", token: user.token).object["display_name"] as? String
                    == "Madame Irma")
            let renamed = try await api.send(
                .PUT, "/api/me", token: user.token, json: ["display_name": "  La Voyante\u{202E}  "])
            #expect(renamed.status == .ok, "\(renamed.text)")
            #expect(renamed.object["display_name"] as? String == "La Voyante")
            #expect(
                try await api.send(.GET, "/api/me", token: user.token).object["display_name"] as? String == "La Voyante"
            )
            let partie = try await api.createPartie(user, name: "Table")
            #expect(partie.mj.displayName == "La Voyante")

            let long = try await api.send(
                .PUT, "/api/me", token: user.token, json: ["display_name": String(repeating: "é", count: 65)])
            #expect(long.status == .badRequest && long.error?.field == "display_name", "\(long.text)")
            let cleared = try await api.send(.PUT, "/api/me", token: user.token, json: ["display_name": " "])
            #expect(cleared.status == .ok && (cleared.object["display_name"] as? String) == nil, "\(cleared.text)")
            #expect(try await api.send(.PUT, "/api/me", json: ["display_name": "x"]).status == .unauthorized)
        }
    }
}
