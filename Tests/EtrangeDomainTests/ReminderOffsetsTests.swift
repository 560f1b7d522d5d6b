import EtrangeDomain
import Foundation
import Testing

@Suite struct ReminderOffsetsTests {
    let start = Date(timeIntervalSince1970: 1_737_403_200)

    func due(at minutesBefore: Double, _ offsets: [Int] = [1440, 60]) -> [Int] {
        ReminderOffsets.due(offsets, start: start, now: start.addingTimeInterval(-minutesBefore * 60))
    }

    @Test func aReminderIsDueFromItsTimeForTheGraceOnly() {
        #expect(due(at: 61) == [], "not before its time")
        #expect(due(at: 60) == [60], "at its time")
        #expect(due(at: 46) == [60], "late, within the 15 minutes of grace")
        #expect(due(at: 45) == [], "later than the grace: dropped")
        #expect(due(at: 1440) == [1440])
        #expect(due(at: 0) == [], "never once the session has begun")
        #expect(due(at: 4, [5, 10]) == [5, 10], "two offsets due in one pass")
    }

    @Test func offsetsAreBoundedDistinctAndStoredTheLongestFirst() {
        #expect(ReminderOffsets.refusal([]) == nil)
        #expect(ReminderOffsets.refusal([5, 20160, 60]) == nil)
        #expect(ReminderOffsets.refusal([4]) != nil)
        #expect(ReminderOffsets.refusal([20161]) != nil)
        #expect(ReminderOffsets.refusal([60, 60]) != nil)
        #expect(ReminderOffsets.refusal([5, 10, 15, 20]) != nil)
        #expect(ReminderOffsets.stored([60, 1440, 10]) == "1440,60,10")
        #expect(ReminderOffsets.read(stored: "1440,60,10") == [1440, 60, 10])
        #expect(ReminderOffsets.read(stored: "") == [])
    }
}
