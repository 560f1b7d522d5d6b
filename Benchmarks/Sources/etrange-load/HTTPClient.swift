import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

struct HTTPResponse: Sendable {
    let status: Int
    let body: ByteBuffer

    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any]
    }

    var text: String { String(buffer: body) }
}

struct LoadError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

private struct PendingRequest: Sendable {
    let head: HTTPRequestHead
    let body: ByteBuffer?
    let promise: EventLoopPromise<HTTPResponse>
}

/// Writes requests and pairs responses with them in order, so one connection can carry several
/// requests at once (Vapor answers pipelined requests in order).
private final class PipelineHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = PendingRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var waiting = CircularBuffer<EventLoopPromise<HTTPResponse>>()
    private var status = 0
    private var body = ByteBuffer()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        waiting.append(request.promise)
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if let body = request.body {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            waiting.popFirst()?.succeed(HTTPResponse(status: status, body: body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(LoadError("connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}

/// A small keep-alive HTTP/1.1 client: a fixed pool of connections, each bound to one of the
/// loopback source addresses, requests spread over them round-robin.
final class HTTPClient: Sendable {
    let host: String
    let port: Int
    private let group: any EventLoopGroup
    private let sources: [SocketAddress]
    private let slots: NIOLockedValueBox<[EventLoopFuture<any Channel>?]>
    private let next = NIOLockedValueBox(0)

    init(group: any EventLoopGroup, host: String, port: Int, sources: [SocketAddress], connections: Int) {
        self.group = group
        self.host = host
        self.port = port
        self.sources = sources
        slots = NIOLockedValueBox(Array(repeating: nil, count: connections))
    }

    private func connect(_ slot: Int) -> EventLoopFuture<any Channel> {
        ClientBootstrap(group: group)
            .bind(to: sources[slot % sources.count])
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(PipelineHandler())
                }
            }
            .connect(host: host, port: port)
    }

    /// The slot's connection, reconnected if the server closed it.
    private func channel() async throws -> any Channel {
        let slot =
            next.withLockedValue { value -> Int in
                defer { value += 1 }
                return value
            } % slots.withLockedValue { $0.count }
        let existing = slots.withLockedValue { slots -> EventLoopFuture<any Channel> in
            if let future = slots[slot] { return future }
            let future = connect(slot)
            slots[slot] = future
            return future
        }
        if let channel = try? await existing.get(), channel.isActive { return channel }
        let fresh = slots.withLockedValue { slots -> EventLoopFuture<any Channel> in
            if let current = slots[slot], current !== existing { return current }
            let future = connect(slot)
            slots[slot] = future
            return future
        }
        return try await fresh.get()
    }

    func request(_ method: HTTPMethod, _ path: String, token: String? = nil, json: String? = nil) async throws
        -> HTTPResponse
    {
        let channel = try await channel()
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        var body: ByteBuffer?
        if let json {
            let buffer = ByteBuffer(string: json)
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(buffer.readableBytes))
            body = buffer
        } else if method == .POST {
            headers.add(name: "Content-Length", value: "0")
        }
        let promise = channel.eventLoop.makePromise(of: HTTPResponse.self)
        channel.writeAndFlush(
            PendingRequest(
                head: HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers),
                body: body, promise: promise), promise: nil)
        return try await promise.futureResult.get()
    }

    /// Like `request`, but a status other than `expect` is an error naming the call.
    func expect(_ expect: Int, _ method: HTTPMethod, _ path: String, token: String? = nil, json: String? = nil)
        async throws -> HTTPResponse
    {
        let response = try await request(method, path, token: token, json: json)
        guard response.status == expect else {
            throw LoadError("\(method) \(path): HTTP \(response.status) \(response.text.prefix(300))")
        }
        return response
    }

    func close() async {
        let all = slots.withLockedValue { $0.compactMap { $0 } }
        for future in all {
            if let channel = try? await future.get() { try? await channel.close() }
        }
    }
}

/// The loopback source addresses `127.0.0.first ... 127.0.0.(first+count-1)`, port chosen by the kernel.
func loopbackSources(first: Int, count: Int) throws -> [SocketAddress] {
    try (first..<(first + count)).map { try SocketAddress(ipAddress: "127.0.0.\($0)", port: 0) }
}

/// `host:port` pairs from `127.0.0.1:8080,127.0.0.1:8081`.
func parseTargets(_ text: String) throws -> [(host: String, port: Int)] {
    try text.split(separator: ",").map { item in
        let parts = item.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else {
            throw LoadError("bad target \(item): host:port expected")
        }
        guard parts[0].hasPrefix("127.") || parts[0] == "localhost" else {
            throw LoadError("only loopback targets are allowed")
        }
        return (String(parts[0]), port)
    }
}
