import Fluent
import NIOConcurrencyHelpers
import Vapor

/// Live connections that closed, gathered for a moment and taken offline with one transaction
/// (one lock of the session's row) per session instead of one per socket: when a server restarts
/// or a network drops, every connection of every table closes at once, and 19,600 transactions
/// queued seven by seven on the sessions' locks kept PostgreSQL busy for over a minute.
final class PresenceDepartures: Sendable {
    private struct Departure {
        let grant: LiveController.Grant
        let at: Date
    }

    private struct Pending {
        var departures: [UUID: [Int: Departure]] = [:]
        var scheduled = false
    }

    private let pending = NIOLockedValueBox(Pending())
    private let settledCount = NIOLockedValueBox(0)
    /// Short enough that the others see someone leave at once; long enough to gather a wave.
    static let delay: Duration = .milliseconds(250)
    /// Sessions settled side by side, within the database pool.
    static let parallelism = 4

    /// Departures settled so far, whether the person had gone or was still connected elsewhere:
    /// what a test waits for rather than for the delay.
    var settled: Int { settledCount.withLockedValue { $0 } }

    /// `hub` is captured now: the flush may come after the application has let go of it at
    /// shutdown, and the hub then refuses the work.
    func add(_ grant: LiveController.Grant, at now: Date, hub: LiveHub, app: Application) {
        let first = pending.withLockedValue { state -> Bool in
            state.departures[grant.sessionID, default: [:]][grant.caller.userID] = Departure(grant: grant, at: now)
            defer { state.scheduled = true }
            return !state.scheduled
        }
        guard first else { return }
        Task {
            try? await Task.sleep(for: Self.delay)
            await hub.guarded { await self.flush(hub: hub, app: app) }
        }
    }

    private func flush(hub: LiveHub, app: Application) async {
        let sessions = pending.withLockedValue { state -> [(UUID, [Departure])] in
            defer { state = Pending() }
            return state.departures.map { ($0.key, Array($0.value.values)) }
        }
        await withTaskGroup(of: Void.self) { group in
            for (index, (sessionID, departures)) in sessions.enumerated() {
                if index >= Self.parallelism { await group.next() }
                group.addTask { await self.settle(departures, in: sessionID, hub: hub, app: app) }
            }
        }
    }

    private func settle(_ departures: [Departure], in sessionID: UUID, hub: LiveHub, app: Application) async {
        defer { settledCount.withLockedValue { $0 += departures.count } }
        var stillAway: [Departure] = []
        // Back meanwhile on another socket of this instance: still here.
        for departure in departures where await hub.connections(of: departure.grant.caller.userID, in: sessionID) == 0 {
            stillAway.append(departure)
        }
        let leaving = stillAway
        guard !leaving.isEmpty else { return }
        do {
            try await app.db.transaction { db in
                _ = try await Participation.lockSession(sessionID, on: db)
                try await Participation.disconnect(
                    leaving.map { ($0.grant.caller.userID, $0.at) }, from: sessionID, on: db)
            }
            await hub.publish(sessionID)
        } catch {
            app.logger.warning("live presence not cleared: \(String(reflecting: error))")
        }
    }
}
