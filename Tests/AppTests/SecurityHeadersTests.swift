import Foundation
import NIOCore
import NIOPosix
import Testing
import Vapor

@testable import App

@Suite struct SecurityHeadersTests {
    private func expectStrictPageHeaders(_ response: APIResponse, _ what: String) {
        let policy = response.headers.first(name: "Content-Security-Policy") ?? ""
        #expect(policy.contains("default-src 'self'"), "\(what): \(policy)")
        #expect(policy.contains("frame-ancestors 'none'"), "\(what): \(policy)")
        #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"), "\(what): \(policy)")
        #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff", "\(what)")
        #expect(response.headers.first(name: "Referrer-Policy") == "no-referrer", "\(what)")
    }

    @Test func everyAnswerCarriesTheBrowserPolicies() async throws {
        try await withApp(.sqlite) { api in
            let page = try await api.send(.GET, "/")
            try #require(page.status == .ok)
            expectStrictPageHeaders(page, "page")
            expectStrictPageHeaders(try await api.send(.GET, "/app.js"), "script")

            let user = try await api.register("armand")
            let me = try await api.send(.GET, "/api/me", token: user.token)
            try #require(me.status == .ok)
            expectStrictPageHeaders(me, "API")
            #expect(me.headers.first(name: .cacheControl) == "no-store")

            let refused = try await api.send(.GET, "/api/me")
            #expect(refused.status == .unauthorized)
            expectStrictPageHeaders(refused, "error")
            #expect(refused.headers.first(name: .cacheControl) == "no-store", "errors are not cached either")
            #expect(try await api.send(.GET, "/api/nowhere").headers.first(name: .cacheControl) == "no-store")
        }
    }

    @Test func answersThatChoseTheirCachingKeepIt() async throws {
        try await withApp(.sqlite) { api in
            let page = try await api.send(.GET, "/")
            #expect(page.headers.first(name: .cacheControl) == "no-cache", "the page revalidates, as before")
            let table = try await Table.make(api)
            let recap = try await api.send(.GET, "/api/parties/\(table.partie.id)/log.md", token: table.mj.token)
            #expect(recap.headers[.cacheControl] == ["private, no-store"], "one Cache-Control, the export's own")
        }
    }

    /// A client that connects and then says nothing is let go after the idle timeout, instead of
    /// holding a connection (and a file descriptor) for as long as it likes.
    @Test func aSilentConnectionIsClosed() async throws {
        try await withApp(.sqlite, configure: { $0.httpIdleTimeout = 1 }) { api in
            let port = try #require(URL(string: api.base)?.port)
            let channel = try await ClientBootstrap(group: api.app.eventLoopGroup)
                .connect(host: "127.0.0.1", port: port).get()
            let deadline = Date().addingTimeInterval(15)
            while channel.isActive, Date() < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(!channel.isActive, "the server should have closed the silent connection")
            try? await channel.close()
        }
    }
}
