import NIOCore
import NIOHTTP1
import NIOWebSocket
import Vapor
import WebSocketKit

/// The live channel's WebSocket upgrade. Vapor's own hands WebSocketKit a frame aggregator
/// without limits, so the cap on a frame's size was no cap on a message's: a message of many
/// small continuation frames was assembled whole (a 10 MB message was accepted; four of 100 MB
/// took the server from 61 to 747 MB). This one puts `MessageSizeLimit` in front of the aggregator.
struct LiveUpgrader: Upgrader {
    let maxMessageSize: Int
    /// Given the channel as well: the hub cuts a connection whose peer ignores the closing handshake.
    let onUpgrade: @Sendable (WebSocket, any Channel) -> Void

    func applyUpgrade(req: Request, res: Response) -> any HTTPServerProtocolUpgrader {
        let maxMessageSize = maxMessageSize
        let onUpgrade = onUpgrade
        return NIOWebSocketServerUpgrader(
            maxFrameSize: maxMessageSize, automaticErrorHandling: false,
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture([:]) },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.submit {
                    try channel.pipeline.syncOperations.addHandler(MessageSizeLimit(maxSize: maxMessageSize))
                }.flatMap {
                    WebSocket.server(on: channel) { onUpgrade($0, channel) }
                }
            })
    }
}

/// Counts each incoming message's bytes and fragments as its frames arrive, before anything
/// assembles them, and closes with 1009 the moment a message outgrows the cap: nothing of it is
/// kept. Empty fragments cost no bytes but a slot each in the aggregator, hence the second cap.
final class MessageSizeLimit: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    static let maxFragments = 64
    /// How long a peer told 1009 has to answer the closing handshake before its connection is cut.
    static let closeGrace: TimeAmount = .seconds(5)

    private let maxSize: Int
    private var size = 0
    private var fragments = 0
    private var refused = false

    init(maxSize: Int) {
        self.maxSize = maxSize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary, .continuation:
            // The rest of a refused message, still on its way: dropped unread.
            guard !refused else { return }
            if frame.opcode != .continuation {
                size = 0
                fragments = 0
            }
            size += frame.length
            fragments += 1
            guard size <= maxSize, fragments <= Self.maxFragments else {
                refused = true
                // WebSocketKit answers this error with a close frame carrying 1009.
                context.fireErrorCaught(NIOWebSocketError.invalidFrameLength)
                let channel = context.channel
                context.eventLoop.scheduleTask(in: Self.closeGrace) { channel.close(promise: nil) }
                return
            }
            if frame.fin {
                size = 0
                fragments = 0
            }
            context.fireChannelRead(data)
        default:
            // Control frames: the peer's answer to our close must get through.
            context.fireChannelRead(data)
        }
    }
}
