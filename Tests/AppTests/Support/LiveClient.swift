import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOWebSocket
import Testing
import Vapor
import WebSocketKit

@testable import App

/// A real WebSocket client of the live channel, keeping every message it receives.
final class LiveClient: Sendable {
    struct Message: Sendable {
        let seq: Int?
        let type: String
        let data: [String: any Sendable]
        let text: String
    }

    private let messages = NIOLockedValueBox<[Message]>([])
    private let socketBox = NIOLockedValueBox<WebSocket?>(nil)

    static func connect(_ api: TestAPI, session: UUID, token: String, since: Int? = nil) async throws -> LiveClient {
        var query = "token=\(token)"
        if let since { query += "&since=\(since)" }
        return try await connect(api, session: session, query: query)
    }

    /// Opens the channel with a ticket from `POST …/live-ticket`.
    static func connect(_ api: TestAPI, session: UUID, ticket: String) async throws -> LiveClient {
        try await connect(api, session: session, query: "ticket=\(ticket)")
    }

    static func connect(_ api: TestAPI, session: UUID, query: String) async throws -> LiveClient {
        let client = LiveClient()
        let url = URL(string: api.base)!
        try await WebSocket.connect(
            scheme: "ws", host: url.host!, port: url.port!, path: "/api/sessions/\(session)/live", query: query,
            on: api.app.eventLoopGroup
        ) { socket in
            client.socketBox.withLockedValue { $0 = socket }
            socket.onText { _, text in client.receive(text) }
        }.get()
        // WebSocketKit reports the connection open before it has made the socket (NIO calls its
        // completion handler before the upgrader): a test's first frames, sent meanwhile to no
        // socket, were lost now and then.
        for _ in 0..<1000 where client.socket == nil {
            try await Task.sleep(for: .milliseconds(2))
        }
        _ = try #require(client.socket)
        return client
    }

    private func receive(_ text: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return }
        let data = (object["data"] as? [String: Any] ?? [:]).mapValues { value -> any Sendable in
            switch value {
            case let number as NSNumber: number.intValue
            case let string as String: string
            default: String(describing: value)
            }
        }
        let message = Message(seq: object["seq"] as? Int, type: object["type"] as? String ?? "", data: data, text: text)
        messages.withLockedValue { $0.append(message) }
    }

    var received: [Message] { messages.withLockedValue { $0 } }
    var events: [Message] { received.filter { $0.seq != nil } }
    var socket: WebSocket? { socketBox.withLockedValue { $0 } }

    func send(_ text: String) { socket?.send(text, promise: nil) }

    /// One text message sent as several frames: the first, then continuations, the last final.
    func sendFragments(_ parts: [String]) {
        for (index, part) in parts.enumerated() {
            socket?.send(
                raw: Array(part.utf8), opcode: index == 0 ? .text : .continuation,
                fin: index == parts.count - 1, promise: nil)
        }
    }

    func close() async throws { try await socket?.close(code: .normalClosure) }

    /// Waits until `condition` holds on what was received; fails the test after `seconds`.
    @discardableResult
    func waitFor(_ what: String, seconds: Double = 10, _ condition: @escaping @Sendable ([Message]) -> Bool)
        async throws -> [Message]
    {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let current = received
            if condition(current) { return current }
            try await Task.sleep(for: .milliseconds(20))
        }
        // A control message's reason tells a closing's cause.
        let got = received.map { message in
            (message.data["reason"] as? String).map { "\(message.type) (\($0))" } ?? message.type
        }
        Issue.record("timed out waiting for \(what); got \(got)")
        return received
    }

    func waitForClose(seconds: Double = 10) async throws -> WebSocketErrorCode? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let socket, socket.isClosed { return socket.closeCode }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}

extension TestAPI {
    /// The status an upgrade request gets, read from the head alone: after a 101 the server
    /// keeps the connection open, and reading to its end would wait for the timeout.
    func upgradeStatus(_ path: String) async throws -> Int {
        let request =
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        let port = URL(string: base)!.port!
        let head = try await RawSocket.offCooperativePool {
            let socket = try RawSocket(port: port)
            defer { socket.close() }
            socket.write(request)
            var head = ""
            while !head.contains("\r\n\r\n") {
                let chunk = socket.read(count: 1024)
                if chunk.isEmpty { break }
                head += chunk
            }
            return head
        }
        return Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// An upgrade request written on a raw socket (the HTTP client has no upgrade support), to see
    /// refusals exactly as the server answers them.
    func upgradeRequest(_ path: String, token: String? = nil) async throws -> APIResponse {
        var request =
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        request += "Connection: close\r\n\r\n"
        let port = URL(string: base)!.port!
        let raw = try await RawSocket.offCooperativePool { [request] in
            let socket = try RawSocket(port: port)
            defer { socket.close() }
            socket.write(request)
            return socket.readAll()
        }
        return try APIResponse(raw: raw)
    }
}

extension APIResponse {
    /// A whole answer as read from a raw socket: status line, headers, then the body.
    init(raw: String) throws {
        guard let split = raw.range(of: "\r\n\r\n") else { throw RawSocket.Failure() }
        let head = raw[..<split.lowerBound].split(separator: "\r\n")
        let code = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers = HTTPHeaders()
        for line in head.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 {
                headers.add(name: String(parts[0]), value: parts[1].trimmingCharacters(in: .whitespaces))
            }
        }
        self.init(
            status: HTTPResponseStatus(statusCode: code), headers: headers, body: Data(raw[split.upperBound...].utf8))
    }
}

/// A blocking loopback TCP socket, for what the HTTP and WebSocket clients will not do.
final class RawSocket: Sendable {
    struct Failure: Error {}

    /// Blocking calls run on a thread of their own: on the two threads of Swift's cooperative
    /// pool they would starve the server they are waiting for, which runs in the same process.
    static func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
    let descriptor: Int32

    /// `source`: a loopback address of the client's own (127.0.0.2…), for a server that tells
    /// clients apart by address.
    init(port: Int, from source: String? = nil, receiveBuffer: Int32? = nil, timeout seconds: Int = 10) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, size) }
            }
            guard bound == 0 else {
                Foundation.close(descriptor)
                throw Failure()
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(descriptor, $0, size) }
        }
        guard connected == 0 else {
            Foundation.close(descriptor)
            throw Failure()
        }
    }

    func write(_ text: String) {
        _ = text.withCString { Foundation.write(descriptor, $0, strlen($0)) }
    }

    func read(count: Int) -> String {
        var buffer = [UInt8](repeating: 0, count: count)
        let got = Foundation.read(descriptor, &buffer, count)
        return got > 0 ? String(decoding: buffer[..<got], as: UTF8.self) : ""
    }

    func readAll() -> String {
        var result = ""
        while true {
            let chunk = read(count: 4096)
            if chunk.isEmpty { return result }
            result += chunk
        }
    }

    func close() { Foundation.close(descriptor) }
}
