import Fluent
import Vapor

/// Sweeps presences whose phone went silent (crashed, out of battery, out of range) offline,
/// every `sweepInterval` seconds. Tests call `Participation.sweep` with a pinned clock instead of
/// waiting for it.
final class PresenceSweeper: LifecycleHandler, Sendable {
    private let loop = BackgroundTask()

    func didBootAsync(_ application: Application) async throws {
        let interval = application.config.sweepInterval
        let timeout = application.config.presenceTimeout
        let logger = application.logger
        loop.start { [weak application] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                guard let application, !Task.isCancelled else { return }
                do {
                    let swept = try await Participation.sweep(
                        now: application.clock.now(), timeout: timeout, on: application.db)
                    if !swept.isEmpty { logger.info("presence sweeper: \(swept.count) taken offline") }
                    let idle = try await Participation.markIdle(
                        now: application.clock.now(), after: application.config.idleAfter, on: application.db)
                    let passedOn = try await Waitlist.expireOffers(at: application.clock.now(), on: application.db)
                    for sessionID in Set(swept.map(\.0)).union(idle).union(passedOn) {
                        await application.live.publish(sessionID)
                    }
                    try await SessionEvent.query(on: application.db)
                        .filter(
                            \.$at < application.clock.now().addingTimeInterval(-application.config.eventRetention)
                        )
                        .delete()
                } catch {
                    logger.warning("presence sweeper failed: \(String(reflecting: error))")
                }
            }
        }
    }

    func shutdownAsync(_ application: Application) async {
        await loop.stop()
    }
}
