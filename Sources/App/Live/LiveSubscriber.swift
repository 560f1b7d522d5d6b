import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket
import Vapor

/// One live connection: a WebSocket and what the hub needs to know to serve it.
final class LiveSubscriber: Sendable {
    let id = UUID()
    let socket: WebSocket
    /// The socket's connection, cut when the peer leaves a close unanswered.
    let channel: any Channel
    let sessionID: UUID
    let userID: Int
    let tokenID: UUID
    /// The MJ sees the events meant for the MJ only.
    let isMJ: Bool
    let maxPending: Int
    /// Called when the session this connection follows starts or resumes: the connection then
    /// counts as presence, as if it had just opened.
    let onSessionRunning: @Sendable () -> Void
    /// Frames handed to the socket and not yet written: the queue a slow reader builds up.
    private let pending = NIOLockedValueBox(0)
    private let closing = NIOLockedValueBox(false)

    /// How long a closed connection's peer has to answer the closing handshake. A stalled reader
    /// or a client that ignores it would otherwise hold its connection until the ping times out.
    static let closeGrace: TimeAmount = .seconds(5)

    init(
        socket: WebSocket, channel: any Channel, sessionID: UUID, userID: Int, tokenID: UUID, isMJ: Bool,
        maxPending: Int,
        onSessionRunning: @escaping @Sendable () -> Void = {}
    ) {
        self.onSessionRunning = onSessionRunning
        self.socket = socket
        self.channel = channel
        self.sessionID = sessionID
        self.userID = userID
        self.tokenID = tokenID
        self.isMJ = isMJ
        self.maxPending = maxPending
    }

    func sees(_ event: EncodedEvent) -> Bool {
        event.visibility == .all || isMJ || event.recipientID == userID || event.audience.contains(userID)
    }

    /// Whether a frame may go to this socket, decided when the hub hands it over: a frame handed
    /// over before the socket closes is written before the closing message. It then counts as
    /// pending until written, never waited for, so a stalled reader never holds up the others;
    /// one that falls `maxPending` frames behind is closed with a reason it can act on.
    func take(_ event: EncodedEvent) -> Bool {
        guard !closing.withLockedValue({ $0 }) else { return false }
        let backlog = pending.withLockedValue { value -> Int in
            value += 1
            return value
        }
        guard backlog <= maxPending else {
            close(code: .policyViolation, reason: "retard", message: LiveMessages.lagging(lastDelivered: event.seq - 1))
            return false
        }
        return true
    }

    /// Writes a frame `take` let through; on the socket's event loop, without a hop.
    func write(_ event: EncodedEvent) {
        let promise = socket.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { [pending] _ in pending.withLockedValue { $0 -= 1 } }
        socket.send(event.frame, opcode: .text, promise: promise)
    }

    /// Closed or being closed: the hub stops serving it at once, without waiting for a stalled
    /// peer to finish the closing handshake.
    var isClosing: Bool { closing.withLockedValue { $0 } }

    /// Queued on the socket's loop, as the hub's frames are (`Deliveries`): it comes after every
    /// frame handed over before it, even when the hub runs on that loop (Swift's tasks run on the
    /// event loops), where a write made at once would overtake them.
    func sendControl(_ text: String) {
        let socket = socket
        socket.eventLoop.execute { socket.send(text, promise: nil) }
    }

    /// The closing is queued like `sendControl`: the last event of a session that ends, or the
    /// `partie.transferred` that closes its MJs' sockets, is written before it.
    func close(code: WebSocketErrorCode, reason: String, message: String? = nil) {
        let first = closing.withLockedValue { value -> Bool in
            defer { value = true }
            return !value
        }
        guard first else { return }
        let (socket, channel) = (socket, channel)
        socket.eventLoop.execute {
            if let message { socket.send(message, promise: nil) }
            socket.close(code: code, promise: nil)
            channel.eventLoop.scheduleTask(in: Self.closeGrace) { channel.close(promise: nil) }
        }
    }
}
