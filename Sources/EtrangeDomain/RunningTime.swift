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

    /// What a clock keeps once stopped at `instant`: the seconds of its closed stretches and the
    /// whole minutes they make. A participant's row stores both when they go offline or leave.
    public func stopped(at instant: Date) -> (seconds: Double, minutes: Int) {
        var time = self
        time.stop(at: instant)
        return (time.accumulatedSeconds, time.minutes(at: instant))
    }
}

/// How long a session has lasted, in whole minutes: the figure recorded when it ended, or else its
/// active time so far; none before it has started.
public enum SessionDuration {
    public static func minutes(status: SessionStatus, recorded: Int?, activeTime: RunningTime, at instant: Date) -> Int?
    {
        status == .scheduled ? nil : recorded ?? activeTime.minutes(at: instant)
    }
}
