import Foundation
import Logging
import Testing

@testable import App

@Suite struct ClientAddressTests {
    @Test func trustedProxiesAreAddressesOrNetworks() throws {
        let proxies = try #require(TrustedProxies(list: "127.0.0.1, 10.0.0.0/8,fd00::/8"))
        let inside = ["127.0.0.1", "10.200.3.4", "fd12:3456::1"]
        let outside = ["127.0.0.2", "11.0.0.1", "fe80::1", "::1", "203.0.113.9"]
        for text in inside {
            let address = try #require(IPAddress(literal: text))
            #expect(proxies.contains(address), "\(text)")
        }
        for text in outside {
            let address = try #require(IPAddress(literal: text))
            #expect(!proxies.contains(address), "\(text)")
        }
        for wrong in ["localhost", "10.0.0.0/33", "10.0.0.0/x", "127.1", "::1/129"] {
            #expect(TrustedProxies(list: wrong) == nil, "\(wrong)")
        }
        let everyone = try #require(TrustedProxies(list: "0.0.0.0/0"))
        #expect(everyone.contains(try #require(IPAddress(literal: "198.51.100.7"))))
    }

    @Test func theVariableIsRead() throws {
        let config = try AppConfig.fromEnvironment(["ETRANGE_TRUSTED_PROXIES": "127.0.0.1, ::1"])
        #expect(config.trustedProxies == TrustedProxies(list: "127.0.0.1,::1"))
        #expect(throws: (any Error).self) { try AppConfig.fromEnvironment(["ETRANGE_TRUSTED_PROXIES": "nginx"]) }
        #expect(try AppConfig.fromEnvironment([:]).trustedProxies == .none)
    }

    private static func twoLoginsPerAddress(_ config: inout AppConfig) {
        config.limits.loginPerAddress = .init(burst: 2, window: 900)
    }

    private static func behindNginx(_ config: inout AppConfig) {
        twoLoginsPerAddress(&config)
        config.trustedProxies = TrustedProxies(list: "127.0.0.1")!
    }

    /// Logins per address are the observable use of the client's address: two per window here.
    private func spendLogins(_ api: TestAPI, from peer: String, forwardedFor: String?) async throws -> [Int] {
        var statuses: [Int] = []
        for attempt in 0..<3 {
            let headers = forwardedFor.map { [("X-Forwarded-For", $0)] } ?? []
            let response = try await api.send(
                from: peer, .POST, "/api/auth/login",
                json: ["username": "inconnu\(attempt)", "password": "faux"], headers: headers)
            statuses.append(Int(response.status.code))
        }
        return statuses
    }

    /// Three logins per step, in order, on one application: from `peer` with `X-Forwarded-For`,
    /// and the statuses they get.
    private typealias Step = (peer: String, forwardedFor: String, statuses: [Int], why: Comment?)

    private func spend(
        _ db: TestDatabase, configure: (inout AppConfig) -> Void, _ steps: [Step],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await withApp(db, configure: configure) { api in
            for step in steps {
                let statuses = try await spendLogins(api, from: step.peer, forwardedFor: step.forwardedFor)
                #expect(statuses == step.statuses, step.why, sourceLocation: sourceLocation)
            }
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func behindATrustedProxyEachClientHasItsOwnAllowance(db: TestDatabase) async throws {
        try await spend(
            db, configure: Self.behindNginx,
            [
                ("127.0.0.1", "203.0.113.9", [401, 401, 429], nil),
                (
                    "127.0.0.1", "203.0.113.10", [401, 401, 429],
                    "another client behind the same proxy has an allowance of its own"
                ),
                (
                    "127.0.0.1", "198.51.100.1, 203.0.113.9", [429, 429, 429],
                    "what the client wrote at the left of the header changes nothing"
                ),
            ])
    }

    @Test(arguments: TestDatabase.enabled)
    func anyoneElsesForwardedForIsIgnored(db: TestDatabase) async throws {
        try await spend(
            db, configure: Self.behindNginx,
            [
                ("127.0.0.2", "203.0.113.9", [401, 401, 429], nil),
                (
                    "127.0.0.2", "203.0.113.10", [429, 429, 429],
                    "a peer that is not a trusted proxy cannot choose its address"
                ),
            ])
        try await spend(
            db, configure: Self.twoLoginsPerAddress,
            [
                ("127.0.0.1", "203.0.113.9", [401, 401, 429], nil),
                ("127.0.0.1", "203.0.113.10", [429, 429, 429], "no proxy is trusted by default"),
            ])
    }

    /// A failed login from `peer`: its security headers, and the access log's line for it.
    private func login(
        _ api: TestAPI, _ log: CapturedLog, from peer: String, headers: [(String, String)]
    ) async throws -> (hsts: String?, logged: String) {
        log.lines.withLockedValue { $0.removeAll() }
        let response = try await api.send(
            from: peer, .POST, "/api/auth/login", json: ["username": "inconnu", "password": "faux"], headers: headers)
        #expect(response.status == .unauthorized)
        let logged = log.lines.withLockedValue { $0 }.first { $0.contains("POST /api/auth/login 401") }
        return (response.headers.first(name: .strictTransportSecurity), try #require(logged))
    }

    /// `X-Forwarded-Proto: https` from the trusted proxy is the one way to HSTS and to `https` in
    /// the log; the same header from any other peer, or with no proxy trusted, changes nothing.
    @Test(arguments: TestDatabase.enabled)
    func forwardedProtoCountsOnlyFromATrustedProxy(db: TestDatabase) async throws {
        let log = CapturedLog()
        log.logLevel = .info
        let overTLS = [("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "https")]
        try await withApp(db, configure: { $0.trustedProxies = TrustedProxies(list: "127.0.0.1")! }) { api in
            api.app.logger = Logger(label: "captured") { _ in log }
            var seen = try await login(api, log, from: "127.0.0.1", headers: overTLS)
            #expect(seen.hsts == "max-age=31536000")
            #expect(seen.logged.contains("\"client\": 203.0.113.9") && seen.logged.contains("\"scheme\": https"))

            seen = try await login(api, log, from: "127.0.0.1", headers: [("X-Forwarded-Proto", "http, https")])
            #expect(seen.hsts != nil, "the value the proxy wrote, the last, counts")
            for plain in [[], [("X-Forwarded-Proto", "http")], [("X-Forwarded-Proto", "https, http")]] {
                seen = try await login(api, log, from: "127.0.0.1", headers: plain)
                #expect(seen.hsts == nil, "\(plain)")
                #expect(seen.logged.contains("\"scheme\": http") && !seen.logged.contains("https"))
            }

            seen = try await login(api, log, from: "127.0.0.2", headers: overTLS)
            #expect(seen.hsts == nil, "a peer that is not a trusted proxy cannot claim HTTPS")
            #expect(seen.logged.contains("\"client\": 127.0.0.2") && !seen.logged.contains("https"))
        }
        try await withApp(db) { api in
            api.app.logger = Logger(label: "captured") { _ in log }
            let seen = try await login(api, log, from: "127.0.0.1", headers: overTLS)
            #expect(seen.hsts == nil, "no proxy is trusted by default")
            #expect(seen.logged.contains("\"client\": 127.0.0.1") && !seen.logged.contains("https"))
        }
    }

    /// Links are built with ETRANGE_PUBLIC_URL only: neither the Host a client writes nor a
    /// trusted proxy's scheme may change where an invitation points.
    @Test(arguments: TestDatabase.enabled)
    func linksUseThePublicAddressWhateverTheRequestSays(db: TestDatabase) async throws {
        try await withApp(db, configure: { $0.trustedProxies = TrustedProxies(list: "127.0.0.1")! }) { api in
            let mj = try await api.register("hote")
            let response = try await api.send(
                .POST, "/api/parties", token: mj.token, json: ["name": "Chez nous"],
                headers: ["Host": "piege.example", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "piege.example"])
            let partie: PartieResponse = try response.decode()
            let link = try #require(partie.inviteUrl)
            #expect(link.hasPrefix("http://etrange.test/invitation/"), "\(link)")
        }
    }
}
