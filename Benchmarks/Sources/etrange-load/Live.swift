import Foundation
import Histogram
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// The marker the fan-out puts in a chat body or a draw's reason: kind (`c` chat, `d` draw), the
/// session's slot in this worker, and the monotonic send time in nanoseconds. Sender and receivers
/// live in the same worker process, so the clock is the same on both ends.
enum Tag {
    static func make(kind: Character, sentAt: UInt64) -> String { "bm|\(kind)|\(sentAt)|" }

    static func parse(_ text: Substring, kind: Character) -> UInt64? {
        guard let start = text.range(of: "bm|\(kind)|") else { return nil }
        let digits = text[start.upperBound...].prefix { $0.isNumber }
        return UInt64(digits)
    }
}

func monotonicNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Every live socket of one worker, and what each received. One lock for all: a worker handles a
/// few thousand frames a second, far below what contention would notice.
final class Recorder: Sendable {
    struct Socket {
        let session: Int
        let isSender: Bool
        var lastSeq = 0
        var frames = 0
        var chats = 0
        var draws = 0
        var open = false
    }

    struct State {
        var sockets: [Socket] = []
        var gaps = 0
        var missingBySeq = 0
        var outOfOrder = 0
        var controlFrames = 0
        var closedByServer = 0
        /// Close codes the server sent, with how many sockets got each.
        var closeCodes: [Int: Int] = [:]
        var disconnected = 0
        var chatLatency = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        var drawLatency = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    }

    let state: NIOLockedValueBox<State>

    init(sockets: [Socket]) {
        state = NIOLockedValueBox(State(sockets: sockets))
    }

    func opened(_ index: Int) { state.withLockedValue { $0.sockets[index].open = true } }

    func frame(_ index: Int, text: String, at now: UInt64) {
        guard let seqRange = text.range(of: #""seq":"#, options: .backwards) else {
            state.withLockedValue { $0.controlFrames += 1 }
            return
        }
        let seq = Int(text[seqRange.upperBound...].prefix { $0.isNumber }) ?? -1
        let type =
            text.range(of: #""type":""#, options: .backwards).map { text[$0.upperBound...].prefix { $0 != "\"" } } ?? ""
        var chatSent: UInt64?
        var drawSent: UInt64?
        if type == "chat.message" { chatSent = Tag.parse(text[...], kind: "c") }
        if type == "cards.drawn" { drawSent = Tag.parse(text[...], kind: "d") }
        state.withLockedValue { state in
            var socket = state.sockets[index]
            socket.frames += 1
            if socket.lastSeq > 0 {
                if seq <= socket.lastSeq {
                    state.outOfOrder += 1
                } else if seq > socket.lastSeq + 1 {
                    state.gaps += 1
                    state.missingBySeq += seq - socket.lastSeq - 1
                }
            }
            socket.lastSeq = max(socket.lastSeq, seq)
            if let chatSent {
                socket.chats += 1
                if !socket.isSender { _ = state.chatLatency.record((now &- chatSent) / 1000) }
            }
            if let drawSent {
                socket.draws += 1
                if !socket.isSender { _ = state.drawLatency.record((now &- drawSent) / 1000) }
            }
            state.sockets[index] = socket
        }
    }

    func closedByServer(code: Int) {
        state.withLockedValue {
            $0.closedByServer += 1
            $0.closeCodes[code, default: 0] += 1
        }
    }

    func disconnected(_ index: Int) {
        state.withLockedValue {
            if $0.sockets[index].open { $0.disconnected += 1 }
            $0.sockets[index].open = false
        }
    }
}

/// One live socket after the upgrade: answers pings (the server's pongs keep presence fresh) and
/// hands every text frame to the recorder with its arrival time.
final class LiveFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let index: Int
    let recorder: Recorder

    init(index: Int, recorder: Recorder) {
        self.index = index
        self.recorder = recorder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let now = monotonicNanos()
            recorder.frame(index, text: String(buffer: frame.unmaskedData), at: now)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            var data = frame.unmaskedData
            recorder.closedByServer(code: Int(data.readInteger(as: UInt16.self) ?? 0))
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        recorder.disconnected(index)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

enum LiveOpenResult: Sendable {
    case upgraded(any Channel)
    case refused(any Channel, Int)
}

/// Opens `GET path` as a WebSocket from `source`; the upgrade's answer decides the result.
func openLive(
    group: any EventLoopGroup, host: String, port: Int, source: SocketAddress, path: String,
    index: Int, recorder: Recorder
) async throws -> LiveOpenResult {
    let negotiation: EventLoopFuture<LiveOpenResult> = try await ClientBootstrap(group: group)
        .bind(to: source)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .connect(host: host, port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                let upgrader = NIOTypedWebSocketClientUpgrader<LiveOpenResult>(
                    maxFrameSize: 1 << 20,
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                LiveFrameHandler(index: index, recorder: recorder))
                            return .upgraded(channel)
                        }
                    })
                var headers = HTTPHeaders()
                headers.add(name: "Host", value: "\(host):\(port)")
                headers.add(name: "Content-Length", value: "0")
                let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                let configuration = NIOTypedHTTPClientUpgradeConfiguration<LiveOpenResult>(
                    upgradeRequestHead: head, upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in
                        channel.eventLoop.makeCompletedFuture { .refused(channel, 0) }
                    })
                // The server pings as soon as the socket opens: that frame can share a read with
                // the 101 answer, and NIO drops such bytes unless told to pass them on.
                var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                pipeline.leftOverBytesStrategy = .forwardBytes
                return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                    configuration: pipeline)
            }
        }
    return try await negotiation.get()
}
