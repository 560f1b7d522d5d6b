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
}
