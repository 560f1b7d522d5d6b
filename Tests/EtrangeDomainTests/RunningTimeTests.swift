import EtrangeDomain
import Foundation
import Testing

@Suite struct RunningTimeTests {
    let t0 = Date(timeIntervalSince1970: 1_737_403_200)

    @Test func pausesAreExcluded() {
        var time = RunningTime()
        time.start(at: t0)
        time.stop(at: t0 + 45 * 60)
        #expect(time.minutes(at: t0 + 60 * 60) == 45)
        time.start(at: t0 + 60 * 60)
        #expect(time.minutes(at: t0 + 90 * 60) == 75)
        time.stop(at: t0 + 90 * 60)
        #expect(time.minutes(at: t0 + 500 * 60) == 75)
    }

    @Test func startingTwiceKeepsTheFirstStart() {
        var time = RunningTime()
        time.start(at: t0)
        time.start(at: t0 + 600)
        #expect(time.seconds(at: t0 + 900) == 900)
    }

    @Test func stoppingAStoppedClockChangesNothing() {
        var time = RunningTime(accumulatedSeconds: 120)
        time.stop(at: t0)
        #expect(time == RunningTime(accumulatedSeconds: 120))
    }

    @Test func minutesRoundDown() {
        var time = RunningTime()
        time.start(at: t0)
        #expect(time.minutes(at: t0 + 59) == 0)
        #expect(time.minutes(at: t0 + 119.9) == 1)
    }

    @Test func aClockGoingBackwardsAddsNothing() {
        var time = RunningTime(accumulatedSeconds: 60, runningSince: t0)
        time.stop(at: t0 - 30)
        #expect(time.seconds(at: t0) == 60)
    }

    @Test func aStoppedClockKeepsItsSecondsAndWholeMinutes() {
        let time = RunningTime(accumulatedSeconds: 100, runningSince: t0)
        let stopped = time.stopped(at: t0 + 50)
        #expect(stopped.seconds == 150)
        #expect(stopped.minutes == 2)
        let idle = RunningTime(accumulatedSeconds: 30).stopped(at: t0)
        #expect(idle.seconds == 30 && idle.minutes == 0)
    }

    @Test func aDurationIsRecordedOrRunningButNoneBeforeTheStart() {
        let running = RunningTime(accumulatedSeconds: 600, runningSince: t0)
        #expect(SessionDuration.minutes(status: .scheduled, recorded: nil, activeTime: running, at: t0 + 60) == nil)
        #expect(SessionDuration.minutes(status: .active, recorded: nil, activeTime: running, at: t0 + 60) == 11)
        #expect(
            SessionDuration.minutes(
                status: .paused, recorded: nil, activeTime: RunningTime(accumulatedSeconds: 600), at: t0) == 10)
        #expect(SessionDuration.minutes(status: .completed, recorded: 42, activeTime: running, at: t0 + 6000) == 42)
        #expect(SessionDuration.minutes(status: .cancelled, recorded: nil, activeTime: RunningTime(), at: t0) == 0)
    }
}
