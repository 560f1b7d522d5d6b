import Foundation
import Testing
import Vapor

@testable import App

@Suite struct OpenAPITests {
    /// The document lists exactly the routes the server registers, with the same methods.
    @Test func documentMatchesTheRoutes() async throws {
        try await withApp(.sqlite) { api in
            let response = try await api.send(.GET, "/openapi.json")
            #expect(response.status == .ok)
            let document = response.object
            #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let methods = Set(["get", "put", "post", "delete", "patch"])
            // Vapor matches whole segments: `{secret}.ics` is the parameter `secret`, whose value
            // the handler requires to end in `.ics`.
            let documented = Set(
                paths.flatMap { path, operations in
                    let routePath = path.replacingOccurrences(of: "}.ics", with: "}")
                    return operations.keys.filter(methods.contains).map { "\($0.uppercased()) \(routePath)" }
                })
            let registered = Set(
                api.app.routes.all.map { route in
                    let path = route.path.map { component -> String in
                        switch component {
                        case .constant(let value): value
                        case .parameter(let name): "{\(name)}"
                        case .anything: "*"
                        case .catchall: "**"
                        }
                    }.joined(separator: "/")
                    return "\(route.method.rawValue) /\(path)"
                })
            #expect(registered.subtracting(documented).sorted() == [], "routes missing from the document")
            #expect(documented.subtracting(registered).sorted() == [], "documented routes that do not exist")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func onlyJSONBodies(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let form = try await api.send(
                .POST, "/api/auth/register", raw: "username=abc&password=12345678",
                headers: ["Content-Type": "application/x-www-form-urlencoded"])
            #expect(form.status == .unsupportedMediaType)
            #expect(form.error != nil)
            let empty = try await api.send(.POST, "/api/auth/login", headers: ["Content-Type": "application/json"])
            #expect(empty.status == .badRequest)
            let user = try await api.register("pagination")
            let overflow = try await api.send(
                .GET, "/api/scenarios?page=9223372036854775807&per=100", token: user.token)
            #expect(overflow.error?.field == "page")
            #expect(try await api.send(.GET, "/health").status == .ok)
        }
    }
}
