import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
import Vapor

@testable import App

/// A listening socket on 127.0.0.1 that counts the connections it accepts. Over HTTP it answers
/// 200 and keeps each request's head; over TLS it keeps the client's first bytes (its hello,
/// which names the server it wants) and hangs up.
final class LoopbackListener: Sendable {
    enum Mode: Sendable { case http, tls }

    struct Seen: Sendable {
        var connections = 0
        var heads: [HTTPRequestHead] = []
        var firstBytes: [UInt8] = []
    }

    private let seen: NIOLockedValueBox<Seen>
    private let channel: any Channel
    let port: Int

    private init(seen: NIOLockedValueBox<Seen>, channel: any Channel, port: Int) {
        self.seen = seen
        self.channel = channel
        self.port = port
    }

    static func start(_ mode: Mode) async throws -> LoopbackListener {
        let seen = NIOLockedValueBox(Seen())
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                seen.withLockedValue { $0.connections += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    switch mode {
                    case .http:
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(HTTPAnswer(seen: seen))
                    case .tls:
                        try channel.pipeline.syncOperations.addHandler(FirstBytes(seen: seen))
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        return LoopbackListener(seen: seen, channel: channel, port: port)
    }

    var connections: Int { seen.withLockedValue { $0.connections } }
    var heads: [HTTPRequestHead] { seen.withLockedValue { $0.heads } }
    var firstBytes: [UInt8] { seen.withLockedValue { $0.firstBytes } }

    func stop() async throws {
        try await channel.close()
    }

    /// Runs `body` with a loopback port that refuses connections. The port stays bound (without
    /// listening) until `body` returns, so no server of a test running alongside can take it.
    static func withClosedPort<T>(_ body: (Int) async throws -> T) async throws -> T {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        try #require(bound)
        return try await body(Int(UInt16(bigEndian: address.sin_port)))
    }

    private final class HTTPAnswer: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let seen: NIOLockedValueBox<Seen>

        init(seen: NIOLockedValueBox<Seen>) { self.seen = seen }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                seen.withLockedValue { $0.heads.append(head) }
            case .body:
                break
            case .end:
                let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Length": "0"])
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }

    private final class FirstBytes: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let seen: NIOLockedValueBox<Seen>

        init(seen: NIOLockedValueBox<Seen>) { self.seen = seen }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            seen.withLockedValue { if $0.firstBytes.isEmpty { $0.firstBytes = bytes } }
            context.close(promise: nil)
        }
    }
}

/// Names the tests decide the meaning of; anything else does not resolve.
struct TableResolver: WebhookResolver {
    let table: [String: [IPAddress]]
    private let asked = NIOLockedValueBox<[String]>([])

    init(_ table: [String: [IPAddress]]) { self.table = table }

    var questions: [String] { asked.withLockedValue { $0 } }

    func addresses(of name: String) async throws -> [IPAddress] {
        asked.withLockedValue { $0.append(name) }
        guard let addresses = table[name] else { throw SystemWebhookResolver.Failure(description: "unknown name") }
        return addresses
    }
}

private func withListener(_ mode: LoopbackListener.Mode, _ body: (LoopbackListener) async throws -> Void) async throws {
    let listener = try await LoopbackListener.start(mode)
    do {
        try await body(listener)
    } catch {
        try? await listener.stop()
        throw error
    }
    try await listener.stop()
}

private func ip(_ text: String) throws -> IPAddress {
    try #require(IPAddress(literal: text), "\(text)")
}

/// A name the system never resolves (RFC 6761): reaching the listener through it proves that
/// the HTTP client connected to the address the dispatcher checked, not to one it looked up.
private let hookName = "hook.etrange.invalid"

@Suite struct WebhookSSRFTests {
    // MARK: The address classifier

    @Test(arguments: [
        "0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254", "127.0.0.1",
        "127.255.255.254", "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.8", "192.0.2.1",
        "192.88.99.1", "192.168.1.1", "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.7", "224.0.0.1",
        "239.255.255.250", "240.0.0.1", "255.255.255.255",
        "::", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:169.254.169.254",
        "::ffff:a9fe:a9fe", "::ffff:10.0.0.1", "::127.0.0.1", "::10.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
        "64:ff9b::10.1.2.3", "64:ff9b:1::1", "2002:7f00:1::1", "2002:c0a8:101::1", "fc00::1", "fd12:3456::1",
        "fe80::1", "febf::1", "fec0::1", "feff::1", "ff02::1", "ff05::1:3", "100::1", "2001::1", "2001:2::1",
        "2001:db8::1", "3fff::1",
    ])
    func forbiddenAddressesAreNotPublic(_ text: String) throws {
        #expect(try ip(text).isPublic == false, "\(text)")
    }

    @Test(arguments: [
        "8.8.8.8", "1.1.1.1", "93.184.216.34", "9.255.255.255", "11.0.0.1", "100.63.255.255", "100.128.0.1",
        "126.255.255.255", "128.0.0.1", "169.253.255.255", "169.255.0.1", "172.15.255.255", "172.32.0.1",
        "192.167.255.255", "192.169.0.1", "198.17.255.255", "198.20.0.1", "223.255.255.255",
        "2606:4700:4700::1111", "2a00:1450:4007:80f::200e", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
    ])
    func publicAddressesArePublic(_ text: String) throws {
        #expect(try ip(text).isPublic == true, "\(text)")
    }

    @Test func onlyStrictFormsAreLiterals() throws {
        for text in [
            "127.1", "0x7f.0.0.1", "0x7f000001", "0177.0.0.1", "012.0.0.1", "2130706433", "0", "127.0.0.01",
            "256.0.0.1",
            "1.2.3.4.5", "1.2.3", "", "1.2.3.04", " 127.0.0.1", "127.0.0.1.", "fe80::1%eth0", "::ffff:0177.0.0.1",
            "1::2::3",
        ] {
            #expect(IPAddress(literal: text) == nil, "\(text)")
        }
        #expect(try ip("127.0.0.1") == .v4(0x7F00_0001))
        #expect(try ip("0.0.0.0") == .v4(0))
        #expect(try ip("::ffff:127.0.0.1").description == "::ffff:127.0.0.1")
        #expect(try ip("2001:DB8:0:0::1").description == "2001:db8::1")
    }

    @Test func everyResolvedAddressIsChecked() throws {
        let (good, bad) = (try ip("93.184.216.34"), try ip("127.0.0.1"))
        for answer in [[good, bad], [bad, good], [bad], [good, try ip("::1")], []] {
            #expect(throws: WebhookDispatcher.RefusedAddress.self, "\(answer)") {
                try WebhookDispatcher.checked(answer, allowPrivate: false)
            }
        }
        #expect(try WebhookDispatcher.checked([good, try ip("2606:4700:4700::1111")], allowPrivate: false) == good)
        #expect(try WebhookDispatcher.checked([bad, good], allowPrivate: true) == bad, "allowed, the first answer")
    }

    @Test func theSystemResolverReadsEveryAddress() async throws {
        let addresses = try await SystemWebhookResolver().addresses(of: "localhost")
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy { $0 == .v4(0x7F00_0001) || $0 == (try? ip("::1")) }, "\(addresses)")
    }

    // MARK: Configuration

    @Test(arguments: TestDatabase.enabled)
    func otherSpellingsOfAnAddressAreRefused(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let path = "/api/parties/\(table.partie.id)/webhook"
            for url in [
                "http://0x7f.1:8080/hook", "http://2130706433/", "http://0177.0.0.1/", "http://127.1/", "http://0/",
                "http://0x7f000001/", "http://012.0.0.1/", "http://[0:0:0:0:0:ffff:127.0.0.1]/",
                "http://[::ffff:7f00:1]/",
                "http://2852039166/latest/meta-data/", "http://0xa9.0xfe.0xa9.0xfe/", "http://0251.0376.0251.0376/",
                "http://169.254.169.254./", "http://127.0.0.1.:80/", "http://[fe80::1%25eth0]/",
                "http://[64:ff9b::a9fe:a9fe]/",
                "http://[fd00::1]/", "http://[::]/", "http://%31%32%37.0.0.1/", "http://foo.local/",
                "http://metadata.google.internal/",
                "http://100.100.100.200/", "http://198.18.0.1/", "http://[2001:db8::1]/", "http://user@discord.com/",
                "https://discord.com:99999/x", "https://discord.com:0/x", "https://discord.com:65536/x",
            ] {
                let refused = try await api.send(.PUT, path, token: table.mj.token, json: ["url": url])
                #expect(refused.status == .badRequest, "\(url): \(refused.status) \(refused.text)")
                #expect(refused.error?.field == "url", "\(url)")
            }
            #expect(try await api.send(.GET, path, token: table.mj.token).status == .notFound, "nothing was saved")
            for url in [
                "https://discord.com/api/webhooks/1/abc", "http://93.184.216.34/x",
                "https://[2606:4700:4700::1111]:8443/x",
                "https://Hooks.Example.ORG/x", "https://127.0.0.1.nip.io/x",
            ] {
                let accepted = try await api.send(.PUT, path, token: table.mj.token, json: ["url": url])
                #expect(accepted.status == .ok, "\(url): \(accepted.text)")
            }
        }
    }

    // MARK: Delivery

    @Test(arguments: TestDatabase.enabled)
    func aNameThatResolvesToLoopbackIsNeverCalled(db: TestDatabase) async throws {
        try await withListener(.http) { listener in
            try await withApp(db) { api in
                let resolver = TableResolver([hookName: [try ip("127.0.0.1")]])
                api.app.webhooks.resolver = resolver
                let table = try await Table.make(api)
                let path = "/api/parties/\(table.partie.id)/webhook"
                let put = try await api.send(
                    .PUT, path, token: table.mj.token, json: ["url": "http://\(hookName):\(listener.port)/hook"])
                try #require(put.status == .ok, "a name is checked when it is used: \(put.text)")
                #expect(resolver.questions.isEmpty, "not resolved when saved")
                try #require(try await api.send(.POST, "\(path)/test", token: table.mj.token).status == .accepted)
                await WebhookDispatcher.deliverDue(api.app)

                #expect(resolver.questions == [hookName], "resolved when delivered")
                #expect(listener.connections == 0, "no connection reached the listener")
                let delivery = try #require(try await Self.deliveries(api, table).first)
                #expect(delivery["status"] as? String == "pending")
                #expect(delivery["attempts"] as? Int == 1)
                #expect(delivery["last_error"] as? String == "Échec de la livraison.")
                #expect(delivery["last_status_code"] == nil)
            }
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func allowedItConnectsToTheCheckedAddressUnderItsName(db: TestDatabase) async throws {
        try await withListener(.http) { listener in
            try await withApp(db, configure: { $0.webhooksMayReachPrivateAddresses = true }) { api in
                let resolver = TableResolver([hookName: [try ip("127.0.0.1")]])
                api.app.webhooks.resolver = resolver
                let table = try await Table.make(api)
                // In capitals: the client must find the checked address under the name as it reads it.
                try await Self.deliverTest(api, table, to: "http://HOOK.Etrange.invalid:\(listener.port)/hook?k=1")

                #expect(listener.connections == 1)
                let head = try #require(listener.heads.first)
                #expect(head.method == .POST)
                #expect(head.uri == "/hook?k=1")
                #expect(
                    head.headers["Host"].map { $0.lowercased() } == ["\(hookName):\(listener.port)"],
                    "the name the MJ gave, not the address")
                #expect(resolver.questions == [hookName])
                let delivery = try #require(try await Self.deliveries(api, table).first)
                #expect(delivery["status"] as? String == "delivered")
                #expect(delivery["last_status_code"] as? Int == 200)
            }
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func tlsAsksTheCheckedAddressForTheName(db: TestDatabase) async throws {
        try await withListener(.tls) { listener in
            try await withApp(db, configure: { $0.webhooksMayReachPrivateAddresses = true }) { api in
                api.app.webhooks.resolver = TableResolver([hookName: [try ip("127.0.0.1")]])
                let table = try await Table.make(api)
                try await Self.deliverTest(api, table, to: "https://\(hookName):\(listener.port)/hook")

                // The client tries again while its connect timeout lasts: every hello is alike.
                #expect(listener.connections >= 1)
                let hello = listener.firstBytes
                #expect(hello.first == 0x16, "a TLS handshake")
                let name = Array(hookName.utf8)
                #expect(
                    (0...max(0, hello.count - name.count)).contains {
                        hello[$0..<min(hello.count, $0 + name.count)].elementsEqual(name)
                    },
                    "the server name (SNI, and the certificate's name) is the MJ's, not the address")
                let delivery = try #require(try await Self.deliveries(api, table).first)
                #expect(delivery["last_error"] as? String == "Échec de la livraison.")
            }
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func aClosedPortAndARefusedAddressLookTheSame(db: TestDatabase) async throws {
        let seenClosed = try await LoopbackListener.withClosedPort { closed in
            try await withApp(db, configure: { $0.webhooksMayReachPrivateAddresses = true }) { api in
                try await Self.testAndList(api, url: "http://127.0.0.1:\(closed)/hook")
            }
        }
        try await withListener(.http) { listener in
            let seenRefused = try await withApp(db) { api in
                api.app.webhooks.resolver = TableResolver([hookName: [try ip("127.0.0.1")]])
                return try await Self.testAndList(api, url: "http://\(hookName):\(listener.port)/hook")
            }
            #expect(listener.connections == 0)
            #expect(seenClosed.test == seenRefused.test, "the test's answer")
            #expect(seenClosed.listed == seenRefused.listed, "the deliveries list")
            #expect(seenRefused.listed.contains("\"last_error\":\"Échec de la livraison.\""), "\(seenRefused.listed)")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func failuresRecordedBeforeReadTheSame(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let path = "/api/parties/\(table.partie.id)/webhook"
            try #require(
                try await api.send(
                    .PUT, path, token: table.mj.token, json: ["url": "https://discord.com/api/webhooks/1/a"]
                ).status == .ok)
            try #require(try await api.send(.POST, "\(path)/test", token: table.mj.token).status == .accepted)
            // As the dispatcher wrote a failure before every failure read the same.
            try await WebhookDelivery.query(on: api.db).set(
                \.$lastError, to: "connect(descriptor:addr:size:): Connection refused (errno: 111)"
            ).update()
            let delivery = try #require(try await Self.deliveries(api, table).first)
            #expect(delivery["last_error"] as? String == "Échec de la livraison.")
        }
    }

    // MARK: Rate limits

    @Test(arguments: TestDatabase.enabled)
    func testsAndAddressChangesAreRateLimitedPerUser(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let limits = Limits()
            let table = try await Table.make(api)
            let other = try await Table.make(api, suffix: "b")
            let path = "/api/parties/\(table.partie.id)/webhook"
            for index in 0..<Int(limits.webhookAddresses.burst) {
                let put = try await api.send(
                    .PUT, path, token: table.mj.token, json: ["url": "https://discord.com/api/webhooks/\(index)/a"])
                try #require(put.status == .ok, "change \(index): \(put.text)")
            }
            let refused = try await api.send(
                .PUT, path, token: table.mj.token, json: ["url": "https://discord.com/api/webhooks/x/a"])
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers.first(name: .retryAfter) == "360")
            #expect(refused.reason.hasPrefix("Trop de changements d'adresse de webhook."), "\(refused.reason)")
            let last = "https://discord.com/api/webhooks/\(Int(limits.webhookAddresses.burst) - 1)/a"
            #expect(
                try await api.send(.PUT, path, token: table.mj.token, json: ["url": last, "format": "discord"]).status
                    == .ok,
                "the same address with another format is no new address")
            #expect(
                try await api.send(
                    .PUT, "/api/parties/\(other.partie.id)/webhook", token: other.mj.token,
                    json: ["url": "https://discord.com/api/webhooks/y/a"]
                ).status == .ok, "another MJ has their own allowance")

            for index in 0..<Int(limits.webhookTests.burst) {
                #expect(
                    try await api.send(.POST, "\(path)/test", token: table.mj.token).status == .accepted,
                    "test \(index)")
            }
            let tooMany = try await api.send(.POST, "\(path)/test", token: table.mj.token)
            #expect(tooMany.status == .tooManyRequests)
            #expect(tooMany.headers.first(name: .retryAfter) == "60")
            #expect(tooMany.reason.hasPrefix("Trop de tests de webhook."), "\(tooMany.reason)")

            api.clock.advance(by: 60)
            #expect(try await api.send(.POST, "\(path)/test", token: table.mj.token).status == .accepted)
            api.clock.advance(by: 300)
            #expect(
                try await api.send(
                    .PUT, path, token: table.mj.token, json: ["url": "https://discord.com/api/webhooks/x/a"]
                ).status == .ok)
        }
    }

    // MARK: Helpers

    /// The MJ points the partie's webhook at `url` and asks for a test, which the dispatcher then
    /// tries to deliver.
    private static func deliverTest(_ api: TestAPI, _ table: Table, to url: String) async throws {
        let path = "/api/parties/\(table.partie.id)/webhook"
        let put = try await api.send(.PUT, path, token: table.mj.token, json: ["url": url])
        try #require(put.status == .ok, "\(put.text)")
        try #require(try await api.send(.POST, "\(path)/test", token: table.mj.token).status == .accepted)
        await WebhookDispatcher.deliverDue(api.app)
    }

    private static func deliveries(_ api: TestAPI, _ table: Table) async throws -> [[String: Any]] {
        let response = try await api.send(
            .GET, "/api/parties/\(table.partie.id)/webhook/deliveries", token: table.mj.token)
        try #require(response.status == .ok, "\(response.text)")
        return try #require(try JSONSerialization.jsonObject(with: response.body) as? [[String: Any]])
    }

    /// What the MJ reads of one failed test, ids left out: the test's answer, and the
    /// deliveries list after one attempt.
    private static func testAndList(_ api: TestAPI, url: String) async throws -> (test: String, listed: String) {
        let table = try await Table.make(api)
        let path = "/api/parties/\(table.partie.id)/webhook"
        try #require(try await api.send(.PUT, path, token: table.mj.token, json: ["url": url]).status == .ok)
        let test = try await api.send(.POST, "\(path)/test", token: table.mj.token)
        try #require(test.status == .accepted)
        await WebhookDispatcher.deliverDue(api.app)
        let listed = try await api.send(.GET, "\(path)/deliveries", token: table.mj.token)
        func withoutIDs(_ text: String) -> String {
            text.replacingOccurrences(
                of: #""id":"[0-9A-Fa-f-]{36}""#, with: "\"id\":\"…\"", options: .regularExpression)
        }
        return (withoutIDs(test.text), withoutIDs(listed.text))
    }
}
