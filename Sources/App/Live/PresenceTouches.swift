import Fluent
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// The signs of life of live connections (pongs, client frames), gathered for a moment and
/// written as a few `UPDATE … SET last_seen` instead of one heartbeat transaction each: with
/// 19,600 connections pinged every 20 s those were a thousand transactions a second, and the
/// server spent its two cores on them at rest. Someone no longer online (swept meanwhile) still
/// goes through the whole heartbeat, which brings them back and tells the session.
final class PresenceTouches: Sendable {
    private struct Key: Hashable {
        let sessionID: UUID
        let userID: Int
    }

    private struct Pending {
        var grants: [Key: LiveController.Grant] = [:]
        var scheduled = false
    }

    private let pending = NIOLockedValueBox(Pending())
    /// Far below the presence timeout (60 s by default), which the 15 s touch interval already keeps.
    static let delay: Duration = .seconds(2)
    /// Two binds a row: well below SQLite's and PostgreSQL's limits on bound parameters.
    static let chunk = 500

    func add(_ grant: LiveController.Grant, app: Application) {
        let first = pending.withLockedValue { state -> Bool in
            state.grants[Key(sessionID: grant.sessionID, userID: grant.caller.userID)] = grant
            defer { state.scheduled = true }
            return !state.scheduled
        }
        guard first else { return }
        // Taken now: after the delay the application may be shutting down, and its hub refuses work.
        let hub = app.live
        Task {
            try? await Task.sleep(for: Self.delay)
            await hub.guarded { await self.flush(app: app) }
        }
    }

    private func flush(app: Application) async {
        let grants = pending.withLockedValue { state -> [LiveController.Grant] in
            defer { state = Pending() }
            return Array(state.grants.values)
        }
        let now = app.clock.now()
        var stale: [LiveController.Grant] = []
        for start in stride(from: 0, to: grants.count, by: Self.chunk) {
            let part = grants[start..<min(start + Self.chunk, grants.count)]
            do {
                let rows = try await app.db.sql.update(SessionPresence.schema)
                    .set("last_seen", to: now)
                    .where("is_online", .equal, true)
                    .where(
                        SQLGroupExpression([SQLIdentifier("session_id"), SQLIdentifier("user_id")]), .in,
                        SQLGroupExpression(
                            part.map { SQLGroupExpression([SQLBind($0.sessionID), SQLBind($0.caller.userID)]) })
                    )
                    .returning("session_id", "user_id")
                    .all()
                let refreshed = Set(
                    rows.compactMap { row in
                        (try? row.decode(column: "session_id", as: UUID.self)).flatMap { session in
                            (try? row.decode(column: "user_id", as: Int.self)).map {
                                Key(sessionID: session, userID: $0)
                            }
                        }
                    })
                stale += part.filter { !refreshed.contains(Key(sessionID: $0.sessionID, userID: $0.caller.userID)) }
            } catch {
                app.logger.warning("live presence batch failed: \(String(reflecting: error))")
                stale += part
            }
        }
        for grant in stale {
            await LiveController.markOnline(grant, app: app)
        }
    }
}
