import Foundation

/// Time that runs in stretches: a session's active time (pauses excluded), or a participant's time
/// played (online while the session is active). What is stored is the sum of the closed stretches
/// and the start of the open one, so the total is exact at any instant without a timer.
public struct RunningTime: Equatable, Sendable {
    public private(set) var accumulatedSeconds: Double
    public private(set) var runningSince: Date?

    public init(accumulatedSeconds: Double = 0, runningSince: Date? = nil) {
        self.accumulatedSeconds = max(0, accumulatedSeconds)
        self.runningSince = runningSince
    }

    public var isRunning: Bool { runningSince != nil }

    /// Opens a stretch at `instant`; a clock already running keeps its earlier start.
    public mutating func start(at instant: Date) {
        if runningSince == nil { runningSince = instant }
    }

    /// Closes the open stretch at `instant`. A clock that went backwards adds nothing rather than
    /// taking time away.
    public mutating func stop(at instant: Date) {
        guard let since = runningSince else { return }
        accumulatedSeconds += max(0, instant.timeIntervalSince(since))
        runningSince = nil
    }

    public func seconds(at instant: Date) -> Double {
        guard let since = runningSince else { return accumulatedSeconds }
        return accumulatedSeconds + max(0, instant.timeIntervalSince(since))
    }

    /// Whole minutes, rounded down: a session played 59 seconds lasted 0 minutes.
    public func minutes(at instant: Date) -> Int {
        Int((seconds(at: instant) / 60).rounded(.down))
    }
}
