import EtrangeDomain
import Foundation
import Testing
import Vapor

@testable import App

/// Every endpoint × every kind of caller → the status expected. Refused callers come first, so a
/// cell that wrongly succeeded would also show up as a changed result for the MJ after it.
@Suite struct AuthorizationMatrixTests {
    enum Caller: String, CaseIterable {
        case anonymous, outsider, otherPartie, player, mj
    }

    struct Row {
        let method: HTTPMethod
        let path: String
        var body: [String: Any]? = nil
        /// Expected statuses, in `Caller.allCases` order.
        let expected: [HTTPResponseStatus]
    }

    @Test(arguments: TestDatabase.enabled)
    func everyEndpointForEveryCaller(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let t = try await CardTable.make(api)
            let other = try await api.register("autre-partie")
            _ = try await api.createPartie(other, name: "Une autre table")
            let p = t.table.partie.id
            let s = t.session.id
            let c = t.armand.id

            // Sessions in the state each move needs: the running one goes through pause, resume
            // and end; then a scheduled one can start.
            let scheduled = try await api.createSession(t.table, name: "À démarrer").id
            let toCancel = try await api.createSession(t.table, name: "À annuler").id
            let toDelete = try await api.createSession(t.table, name: "À supprimer").id
            let line = try await api.send(
                .POST, "/api/sessions/\(s)/messages", token: t.table.player.token, json: ["body": "à corriger"]
            ).decode(MessageResponse.self).id
            let news = try await api.send(
                .POST, "/api/sessions/\(s)/messages", token: t.table.mj.token,
                json: ["body": "Annonce", "scope": "announcement"]
            ).decode(MessageResponse.self).id
            let slots = [1.0, 2].map { JSONCoding.format(api.clock.now().addingTimeInterval($0 * 86400)) }
            let newPoll: [String: Any] = ["name": "La suite", "slots": slots]
            func poll() async throws -> PollResponse {
                try await api.send(.POST, "/api/parties/\(p)/polls", token: t.table.mj.token, json: newPoll)
                    .decode(PollResponse.self)
            }
            let (toAnswer, toClose, toCancelPoll) = (try await poll(), try await poll(), try await poll())
            let newSeries: [String: Any] = [
                "name": "Les vendredis", "frequency": "weekly", "first_date": "2025-03-14", "time": "20:30",
                "count": 8,
            ]
            let series = try await api.send(
                .POST, "/api/parties/\(p)/series", token: t.table.mj.token, json: newSeries
            ).decode(SeriesResponse.self).id
            // Handouts shown to the whole table, so that the player is refused for being a player.
            func handout() async throws -> UUID {
                let id = try await api.upload(HandoutFixtures.png, as: t.table.mj, to: t.table.partie)
                    .decode(HandoutResponse.self).id
                try await api.send(.POST, "/api/handouts/\(id)/show", token: t.table.mj.token, json: ["everyone": true])
                return id
            }
            let (handout, handoutToDelete) = (try await handout(), try await handout())
            let berthe = try await api.register("berthe")
            try await api.join(berthe, t.table.partie)

            let (N, U, F, O, Cr, NC) = (
                HTTPResponseStatus.notFound, HTTPResponseStatus.unauthorized,
                HTTPResponseStatus.forbidden, HTTPResponseStatus.ok,
                HTTPResponseStatus.created, HTTPResponseStatus.noContent
            )
            let rows: [Row] = [
                Row(method: .GET, path: "/api/me", expected: [U, O, O, O, O]),
                Row(method: .GET, path: "/api/me/export", expected: [U, O, O, O, O]),
                Row(method: .GET, path: "/api/parties", expected: [U, O, O, O, O]),
                Row(method: .GET, path: "/api/parties/\(p)", expected: [U, N, N, O, O]),
                Row(method: .GET, path: "/api/parties/\(p)/members", expected: [U, N, N, O, O]),
                Row(method: .GET, path: "/api/parties/\(p)/changes", expected: [U, N, N, O, O]),
                Row(method: .GET, path: "/api/parties/\(p)/invite.svg", expected: [U, N, N, F, O]),
                Row(method: .POST, path: "/api/parties/\(p)/invite/rotate", expected: [U, N, N, F, O]),
                // The MJ is refused for the running session, and for a name not typed right.
                Row(
                    method: .POST, path: "/api/parties/\(p)/transfer", body: ["user_id": berthe.id],
                    expected: [U, N, N, F, .conflict]),
                Row(
                    method: .DELETE, path: "/api/parties/\(p)", body: ["confirm_name": "Une autre"],
                    expected: [U, N, N, F, .badRequest]),
                Row(method: .GET, path: "/api/characters/\(c)", expected: [U, N, N, O, O]),
                Row(method: .GET, path: "/api/sessions?partie_id=\(p)", expected: [U, N, N, O, O]),
                Row(method: .GET, path: "/api/sessions/\(s)", expected: [U, N, N, O, O]),
                Row(method: .GET, path: "/api/sessions/\(scheduled)/rsvps", expected: [U, N, N, O, O]),
                Row(
                    method: .PUT, path: "/api/sessions/\(scheduled)/rsvp", body: ["answer": "yes"],
                    expected: [U, N, N, O, O]),
                Row(method: .GET, path: "/api/parties/\(p)/series", expected: [U, N, N, O, O]),
                Row(method: .POST, path: "/api/parties/\(p)/series", body: newSeries, expected: [U, N, N, F, Cr]),
                Row(method: .GET, path: "/api/series/\(series)", expected: [U, N, N, O, O]),
                Row(method: .POST, path: "/api/series/\(series)/occurrences/6", expected: [U, N, N, F, Cr]),
                Row(
                    method: .PATCH, path: "/api/series/\(series)",
                    body: ["scope": "following", "occurrence": 1, "cancelled": true], expected: [U, N, N, F, NC]),
                Row(method: .GET, path: "/api/parties/\(p)/polls", expected: [U, N, N, O, O]),
                Row(method: .POST, path: "/api/parties/\(p)/polls", body: newPoll, expected: [U, N, N, F, Cr]),
                Row(method: .GET, path: "/api/polls/\(toAnswer.id)", expected: [U, N, N, O, O]),
                Row(
                    method: .PUT, path: "/api/polls/\(toAnswer.id)/answers",
                    body: ["answers": [["slot_id": toAnswer.slots[0].id.uuidString, "answer": "maybe"]]],
                    expected: [U, N, N, O, O]),
                Row(
                    method: .POST, path: "/api/polls/\(toClose.id)/close",
                    body: ["slot_id": toClose.slots[0].id.uuidString], expected: [U, N, N, F, O]),
                Row(method: .POST, path: "/api/polls/\(toCancelPoll.id)/cancel", expected: [U, N, N, F, O]),
                Row(
                    method: .POST, path: "/api/sessions", body: ["partie_id": p, "name": "Nouvelle"],
                    expected: [U, N, N, F, Cr]),
                Row(
                    method: .PUT, path: "/api/sessions/\(scheduled)", body: ["name": "Renommée"],
                    expected: [U, N, N, F, O]),
                Row(method: .GET, path: "/api/sessions/\(s)/presence", expected: [U, N, N, O, O]),
                Row(method: .POST, path: "/api/sessions/\(s)/presence", expected: [U, N, N, O, O]),
                Row(method: .GET, path: "/api/sessions/\(s)/participants", expected: [U, N, N, O, O]),
                Row(method: .GET, path: "/api/sessions/\(s)/waitlist", expected: [U, N, N, O, O]),
                // The player holds a seat and the MJ never waits: both are refused a place in line.
                Row(
                    method: .POST, path: "/api/sessions/\(s)/waitlist", body: ["character_id": c.uuidString],
                    expected: [U, N, N, .conflict, .conflict]),
                Row(method: .DELETE, path: "/api/sessions/\(s)/waitlist", expected: [U, N, N, NC, NC]),
                // No seat is held for either.
                Row(
                    method: .POST, path: "/api/sessions/\(s)/waitlist/seat", expected: [U, N, N, .conflict, .conflict]),
                Row(
                    method: .POST, path: "/api/sessions/\(s)/participants",
                    body: ["user_id": t.table.player.id, "role": "player"], expected: [U, N, N, F, O]),
                Row(
                    method: .POST, path: "/api/sessions/\(s)/messages", body: ["body": "bonsoir"],
                    expected: [U, N, N, Cr, Cr]),
                Row(method: .GET, path: "/api/sessions/\(s)/messages", expected: [U, N, N, O, O]),
                Row(
                    method: .PATCH, path: "/api/sessions/\(s)/messages/\(line)", body: ["body": "corrigé"],
                    expected: [U, N, N, O, F]),
                Row(method: .PUT, path: "/api/sessions/\(s)/messages/\(news)/pin", expected: [U, N, N, F, O]),
                Row(method: .DELETE, path: "/api/sessions/\(s)/messages/\(news)/pin", expected: [U, N, N, F, O]),
                Row(
                    method: .DELETE, path: "/api/sessions/\(s)/messages/\(line)",
                    expected: [U, N, N, O, .conflict]),
                Row(
                    method: .POST, path: "/api/sessions/\(s)/draws",
                    body: ["character_id": c.uuidString, "visibility": "public"], expected: [U, N, N, Cr, .badRequest]),
                Row(method: .GET, path: "/api/sessions/\(s)/draws", expected: [U, N, N, O, O]),
                Row(method: .GET, path: "/api/sessions/\(s)/decks/mj", expected: [U, N, N, F, O]),
                Row(method: .GET, path: "/api/sessions/\(s)/decks/\(c)", expected: [U, N, N, O, O]),
                Row(
                    method: .PUT, path: "/api/characters/\(c)/sheet", body: TestAPI.armandSheet,
                    expected: [U, N, N, O, O]),
                Row(method: .POST, path: "/api/characters/\(c)/pot/reset", expected: [U, N, N, O, O]),
                // Armand is seated in the running session: its player is refused for that, the MJ for not owning it.
                Row(method: .DELETE, path: "/api/characters/\(c)", expected: [U, N, N, .conflict, F]),
                Row(method: .GET, path: "/api/reference", expected: [U, O, O, O, O]),
                Row(method: .GET, path: "/api/parties/\(p)/handouts", expected: [U, N, N, O, O]),
                // The MJ gets past the checks to the missing form.
                Row(method: .POST, path: "/api/parties/\(p)/handouts", expected: [U, N, N, F, .unsupportedMediaType]),
                Row(method: .GET, path: "/api/handouts/\(handout)/file", expected: [U, N, N, O, O]),
                Row(
                    method: .POST, path: "/api/handouts/\(handout)/show", body: ["everyone": true],
                    expected: [U, N, N, F, O]),
                Row(method: .POST, path: "/api/handouts/\(handout)/hide", expected: [U, N, N, F, O]),
                Row(method: .DELETE, path: "/api/handouts/\(handoutToDelete)", expected: [U, N, N, F, NC]),
                Row(
                    method: .GET, path: "/api/sessions/\(s)/live",
                    expected: [U, N, N, .upgradeRequired, .upgradeRequired]),
                Row(method: .POST, path: "/api/sessions/\(s)/live-ticket", expected: [U, N, N, Cr, Cr]),
                Row(method: .DELETE, path: "/api/sessions/\(s)/presence", expected: [U, N, N, NC, NC]),
                Row(method: .POST, path: "/api/sessions/\(s)/pause", expected: [U, N, N, F, O]),
                Row(method: .POST, path: "/api/sessions/\(s)/resume", expected: [U, N, N, F, O]),
                Row(method: .POST, path: "/api/sessions/\(s)/end", expected: [U, N, N, F, O]),
                Row(method: .POST, path: "/api/sessions/\(scheduled)/start", expected: [U, N, N, F, O]),
                Row(method: .POST, path: "/api/sessions/\(toCancel)/cancel", expected: [U, N, N, F, O]),
                Row(method: .DELETE, path: "/api/sessions/\(toDelete)", expected: [U, N, N, F, NC]),
                Row(
                    method: .PUT, path: "/api/parties/\(p)", body: ["session_length_minutes": 200],
                    expected: [U, N, N, F, O]),
                Row(method: .GET, path: "/api/parties/\(p)/attendance", expected: [U, N, N, O, O]),
                Row(method: .GET, path: "/api/parties/\(p)/log.md", expected: [U, N, N, O, O]),
                Row(method: .GET, path: "/api/sessions/\(s)/recap.md", expected: [U, N, N, O, O]),
                Row(
                    method: .PUT, path: "/api/parties/\(p)/webhook",
                    body: ["url": "https://discord.com/api/webhooks/1/x"], expected: [U, N, N, F, O]),
                Row(method: .GET, path: "/api/parties/\(p)/webhook", expected: [U, N, N, F, O]),
                Row(method: .POST, path: "/api/parties/\(p)/webhook/test", expected: [U, N, N, F, .accepted]),
                Row(method: .GET, path: "/api/parties/\(p)/webhook/deliveries", expected: [U, N, N, F, O]),
                Row(method: .DELETE, path: "/api/parties/\(p)/webhook", expected: [U, N, N, F, NC]),
                // Near the end: the player is no longer a member after them.
                Row(method: .DELETE, path: "/api/parties/\(p)/members/\(berthe.id)", expected: [U, N, N, F, NC]),
                Row(method: .DELETE, path: "/api/parties/\(p)/members/me", expected: [U, N, N, NC, .conflict]),
                Row(method: .GET, path: "/api/calendar/feed", expected: [U, O, O, O, O]),
                Row(method: .POST, path: "/api/calendar/feed", expected: [U, Cr, Cr, Cr, Cr]),
                Row(method: .DELETE, path: "/api/calendar/feed", expected: [U, NC, NC, NC, NC]),
                Row(method: .POST, path: "/api/auth/logout", expected: [U, NC, NC, NC, NC]),
            ]

            let tokens: [Caller: String?] = [
                .anonymous: nil, .outsider: t.table.outsider.token, .otherPartie: other.token,
                .player: t.table.player.token, .mj: t.table.mj.token,
            ]
            for row in rows {
                for (index, caller) in Caller.allCases.enumerated() {
                    let response = try await api.send(
                        row.method, row.path, token: tokens[caller] ?? nil, json: row.body)
                    #expect(
                        response.status == row.expected[index],
                        "\(caller.rawValue) \(row.method) \(row.path): \(response.text)")
                    #expect(response.status.code < 500)
                }
            }

            // "Every endpoint": each row is a route the application registers, and every route
            // under /api has a row or a reason below. A new endpoint fails here until it has one.
            let routes = api.app.routes.all.map(RouteKey.init(route:)).filter { $0.components.first == "api" }
            var covered: Set<RouteKey> = []
            for row in rows {
                let route = try #require(
                    RouteKey.matching(row.method, row.path, in: routes), "\(row.method) \(row.path) is no route")
                covered.insert(route)
            }
            let registered = Set(routes).subtracting(Self.elsewhere.keys.map { RouteKey($0) })
            #expect(
                registered.subtracting(covered).isEmpty,
                "routes without a row: \(registered.subtracting(covered).map(\.description).sorted())")
            #expect(
                Set(Self.elsewhere.keys.map { RouteKey($0) }).isSubset(of: Set(routes)),
                "a listed route no longer exists")
        }
    }

    /// Routes under /api without a row, and why.
    static let elsewhere: [String: String] = [
        "POST /api/auth/register": "public",
        "POST /api/auth/login": "public",
        "POST /api/auth/reset": "public: the link's secret is the credential (PasswordResetTests)",
        "GET /api/calendar/:secret": "public: the secret in the path is the credential (CalendarTests)",
        "POST /api/auth/password": "the caller's own account, nothing of a partie (HardeningTests)",
        "PUT /api/me": "the caller's own account, nothing of a partie (WalkThroughTests)",
        "DELETE /api/me": "the caller's own account; a partie only as the 409 of its MJ (DeletionTests)",
        "POST /api/parties": "creates the caller's own partie (PartiesTests)",
        "POST /api/parties/join": "the invitation code is the credential (PartiesTests, AccountLimitsTests)",
        "GET /api/invitations/:code": "public: the invitation code is the credential (WalkThroughTests)",
        "GET /api/characters": "the caller's own characters (CharactersTests)",
        "POST /api/characters": "the caller's own characters (CharactersTests)",
        "GET /api/scenarios": "the caller's own scenarios (PartiesTests)",
        "POST /api/scenarios": "the caller's own scenarios (PartiesTests)",
        "POST /api/sessions/:id/join": "changes the seats the rows above rely on (SessionRacesTests, PresenceTests)",
        "POST /api/sessions/:id/leave": "changes the seats the rows above rely on (PresenceTests, LiveTests)",
        "POST /api/characters/:id/pot":
            "the guard of the pot reset row, with a state that a second caller's add would refuse (CharacterDeckTests)",
    ]

    /// A route as registered: its method and path components, parameters as `:name`.
    struct RouteKey: Hashable, CustomStringConvertible {
        let method: String
        let components: [String]

        init(route: Route) {
            method = route.method.rawValue
            components = route.path.map(\.description)
        }

        /// "POST /api/sessions/:id/join"
        init(_ text: String) {
            let parts = text.split(separator: " ", maxSplits: 1)
            method = String(parts[0])
            components = parts[1].split(separator: "/").map(String.init)
        }

        var description: String { "\(method) /" + components.joined(separator: "/") }

        /// The route a concrete request reaches: constants before parameters, as the router does.
        static func matching(_ method: HTTPMethod, _ path: String, in routes: [RouteKey]) -> RouteKey? {
            let parts = (path.split(separator: "?").first ?? "").split(separator: "/").map(String.init)
            return
                routes
                .filter { $0.method == method.rawValue && $0.components.count == parts.count }
                .filter { zip($0.components, parts).allSatisfy { $0.hasPrefix(":") || $0 == $1 } }
                .max { $0.constants < $1.constants }
        }

        private var constants: Int { components.filter { !$0.hasPrefix(":") }.count }
    }
}
