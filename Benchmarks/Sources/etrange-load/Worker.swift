import Foundation
import Histogram
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// One shard of the load: whole sessions (all seven sockets of each, and their sender), so a
/// message's send time and its arrivals are read on the same clock without crossing processes.
/// Driven by the coordinator through stdin, one command a line; answers one JSON line each.
final class Worker: Sendable {
    let sessions: [(global: Int, session: SeededSession)]
    /// Members of each session with a live socket, the sender first.
    let online: Int
    let targets: [(host: String, port: Int)]
    let sources: [SocketAddress]
    let group: MultiThreadedEventLoopGroup
    let clients: [HTTPClient]
    let recorder: Recorder
    let channels = NIOLockedValueBox<[any Channel]>([])

    struct SendState {
        var chats: [Int]
        var draws: [Int]
        var errors = 0
        var statuses: [Int: Int] = [:]
        var postLatency = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        /// The slowest answer (µs) among the messages due in each second of the fan-out: a tail
        /// made of one stall and one made of many slow answers look alike in a histogram.
        var slowestBySecond: [UInt64] = []
    }

    let sends: NIOLockedValueBox<SendState>

    init(
        seed: SeedFile, sessionCount: Int, online: Int, shard: Int, shards: Int, targets: [(host: String, port: Int)],
        sources: [SocketAddress], httpConnections: Int
    ) {
        let chosen = Array(seed.sessions.prefix(sessionCount).enumerated().filter { $0.offset % shards == shard })
        sessions = chosen.map { (global: $0.offset, session: $0.element) }
        self.online = online
        self.targets = targets
        self.sources = sources
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        clients = targets.map {
            HTTPClient(group: group, host: $0.host, port: $0.port, sources: sources, connections: httpConnections)
        }
        var sockets: [Recorder.Socket] = []
        for slot in sessions.indices {
            for member in 0..<online { sockets.append(.init(session: slot, isSender: member == 0)) }
        }
        recorder = Recorder(sockets: sockets)
        sends = NIOLockedValueBox(
            SendState(
                chats: Array(repeating: 0, count: sessions.count), draws: Array(repeating: 0, count: sessions.count)))
    }

    /// Member `m` of a session talks to instance `m % instances`: with two, half of every table
    /// sits on each, so every message crosses instances through PostgreSQL.
    func open(concurrency: Int) async -> [String: Any] {
        let started = monotonicNanos()
        let outcome = NIOLockedValueBox((opened: 0, refused: 0, errors: 0, firstError: ""))
        let total = sessions.count * online
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            func launch() {
                let index = next
                next += 1
                group.addTask {
                    let (slot, member) = index.quotientAndRemainder(dividingBy: self.online)
                    let session = self.sessions[slot].session
                    let target = self.targets[member % self.targets.count]
                    let path = "/api/sessions/\(session.id)/live?token=\(session.members[member].token)"
                    do {
                        switch try await openLive(
                            group: self.group, host: target.host, port: target.port,
                            source: self.sources[index % self.sources.count], path: path,
                            index: index, recorder: self.recorder)
                        {
                        case .upgraded(let channel):
                            self.recorder.opened(index)
                            self.channels.withLockedValue { $0.append(channel) }
                            outcome.withLockedValue { $0.opened += 1 }
                        case .refused(let channel, _):
                            try? await channel.close()
                            outcome.withLockedValue { $0.refused += 1 }
                        }
                    } catch {
                        outcome.withLockedValue { state in
                            state.errors += 1
                            if state.firstError.isEmpty { state.firstError = String(describing: error) }
                        }
                    }
                }
            }
            while next < min(concurrency, total) { launch() }
            while await group.next() != nil {
                if next < total { launch() }
            }
        }
        let result = outcome.withLockedValue { $0 }
        return [
            "opened": result.opened, "refused": result.refused, "errors": result.errors,
            "first_error": result.firstError,
            "seconds": Double(monotonicNanos() - started) / 1e9,
        ]
    }

    func status() -> [String: Any] {
        recorder.state.withLockedValue { state in
            [
                "open": state.sockets.filter(\.open).count, "disconnected": state.disconnected,
                "closed_by_server": state.closedByServer, "close_codes": closeCodes(state),
                "frames": state.sockets.reduce(0) { $0 + $1.frames },
            ]
        }
    }

    /// Sends `rate` messages a second for `seconds`, open loop: each is stamped with the instant it
    /// was due, so a server that falls behind shows in the delays instead of slowing the senders.
    /// Every `drawEvery`-th message is a public draw instead of a chat line.
    func fanout(rate: Double, seconds: Double, drawEvery: Int) async -> [String: Any] {
        recorder.state.withLockedValue {
            $0.chatLatency.reset()
            $0.drawLatency.reset()
        }
        sends.withLockedValue {
            $0.postLatency.reset()
            $0.slowestBySecond = []
        }
        let total = Int(rate * seconds)
        let interval = 1e9 / rate
        let start = monotonicNanos() + 50_000_000
        await withDiscardingTaskGroup { group in
            for i in 0..<total {
                let due = start + UInt64(Double(i) * interval)
                let now = monotonicNanos()
                if due > now { try? await Task.sleep(nanoseconds: due - now) }
                let slot = i % sessions.count
                let isDraw = drawEvery > 0 && i % drawEvery == drawEvery - 1
                let second = Int(Double(i) / rate)
                group.addTask { await self.send(slot: slot, isDraw: isDraw, due: due, second: second) }
            }
        }
        let sendingSeconds = Double(monotonicNanos() - start) / 1e9
        // Let the last messages arrive, up to 15 s.
        let drainStart = monotonicNanos()
        while monotonicNanos() - drainStart < 15_000_000_000 {
            if missingDeliveries() == 0 { break }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        return report(sendingSeconds: sendingSeconds)
    }

    private func send(slot: Int, isDraw: Bool, due: UInt64, second: Int) async {
        let (global, session) = sessions[slot]
        let client = clients[global % clients.count]
        let mj = session.members[0]
        let body =
            isDraw
            ? #"{"visibility":"public","reason":"\#(Tag.make(kind: "d", sentAt: due))"}"#
            : #"{"body":"\#(Tag.make(kind: "c", sentAt: due))"}"#
        let path = "/api/sessions/\(session.id)/\(isDraw ? "draws" : "messages")"
        let status: Int
        do {
            status = try await client.request(.POST, path, token: mj.token, json: body).status
        } catch {
            status = -1
        }
        let done = monotonicNanos()
        sends.withLockedValue { state in
            state.statuses[status, default: 0] += 1
            let latency = (done &- due) / 1000
            _ = state.postLatency.record(latency)
            if state.slowestBySecond.count <= second {
                state.slowestBySecond += Array(repeating: 0, count: second + 1 - state.slowestBySecond.count)
            }
            state.slowestBySecond[second] = max(state.slowestBySecond[second], latency)
            if status == 201 {
                if isDraw { state.draws[slot] += 1 } else { state.chats[slot] += 1 }
            } else {
                state.errors += 1
            }
        }
    }

    private func missingDeliveries() -> Int {
        let sent = sends.withLockedValue { ($0.chats, $0.draws) }
        return recorder.state.withLockedValue { state in
            state.sockets.reduce(0) { sum, socket in
                guard socket.open else { return sum }
                return sum + max(0, sent.0[socket.session] - socket.chats)
                    + max(0, sent.1[socket.session] - socket.draws)
            }
        }
    }

    private func report(sendingSeconds: Double) -> [String: Any] {
        let sent = sends.withLockedValue { $0 }
        return recorder.state.withLockedValue { state in
            var expected = 0
            var received = 0
            var extra = 0
            var toOthers = 0
            for socket in state.sockets {
                let wanted = sent.chats[socket.session] + sent.draws[socket.session]
                let got = socket.chats + socket.draws
                expected += wanted
                received += min(wanted, got)
                extra += max(0, got - wanted)
                if !socket.isSender { toOthers += got }
            }
            return [
                "sent_chats": sent.chats.reduce(0, +), "sent_draws": sent.draws.reduce(0, +),
                "send_errors": sent.errors,
                "statuses": Dictionary(uniqueKeysWithValues: sent.statuses.map { (String($0.key), $0.value) }),
                "sending_seconds": sendingSeconds,
                "expected_deliveries": expected, "received_deliveries": received, "lost": expected - received,
                "duplicates_or_unexpected": extra, "deliveries_to_others": toOthers,
                "seq_gaps": state.gaps, "seq_missing": state.missingBySeq, "out_of_order": state.outOfOrder,
                "control_frames": state.controlFrames, "disconnected": state.disconnected,
                "closed_by_server": state.closedByServer,
                "close_codes": closeCodes(state),
                "chat_latency": encode(state.chatLatency), "draw_latency": encode(state.drawLatency),
                "post_latency": encode(sent.postLatency),
                "slowest_post_by_second": sent.slowestBySecond.map(Int.init),
            ]
        }
    }

    func close() async {
        for channel in channels.withLockedValue({ $0 }) { try? await channel.close() }
        for client in clients { await client.close() }
        try? await group.shutdownGracefully()
    }
}

private func closeCodes(_ state: Recorder.State) -> [String: Int] {
    Dictionary(uniqueKeysWithValues: state.closeCodes.map { (String($0.key), $0.value) })
}

func encode(_ histogram: Histogram<UInt64>) -> String {
    (try? JSONEncoder().encode(histogram).base64EncodedString()) ?? ""
}

func decodeHistogram(_ text: String) -> Histogram<UInt64>? {
    Data(base64Encoded: text).flatMap { try? JSONDecoder().decode(Histogram<UInt64>.self, from: $0) }
}

/// Lines of stdin, read on a thread of their own so that no task of the cooperative pool blocks.
func stdinLines() -> AsyncStream<String> {
    AsyncStream { continuation in
        Thread.detachNewThread {
            while let line = readLine() { continuation.yield(line) }
            continuation.finish()
        }
    }
}

func jsonLine(_ object: [String: Any]) -> String {
    String(
        decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8),
        as: UTF8.self)
}
