import EtrangeDomain
import Foundation
import Testing

@Suite struct RecurrenceTests {
    func rule(
        _ frequency: String = "weekly", interval: Int? = nil, first: String = "2025-03-14", time: String = "20:30",
        zone: String = "Europe/Paris", week: Int? = nil, count: Int? = 6, until: String? = nil
    ) throws -> RecurrenceRule {
        try RecurrenceRule.make(
            frequency: frequency, interval: interval, firstDate: first, time: time, timeZone: zone, monthlyWeek: week,
            count: count, until: until
        ).get()
    }

    func refusal(_ make: () throws -> RecurrenceRule) -> RecurrenceRefusal? {
        do {
            _ = try make()
            return nil
        } catch {
            return error as? RecurrenceRefusal
        }
    }

    func utc(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    /// Europe/Paris leaves winter time on 2025-03-30 and returns to it on 2025-10-26: the same
    /// 20:30 is 19:30 UTC before and 18:30 UTC after, then 19:30 again.
    @Test func aWeeklyEveningStaysAtItsLocalTimeAcrossDaylightSaving() throws {
        let weekly = try rule(count: 4)
        #expect(
            (0..<4).compactMap(weekly.occurrence).map(utc) == [
                "2025-03-14T19:30:00Z", "2025-03-21T19:30:00Z", "2025-03-28T19:30:00Z", "2025-04-04T18:30:00Z",
            ])
        #expect(weekly.occurrence(4) == nil, "four occurrences, no fifth")
        #expect(weekly.occurrence(-1) == nil)
        #expect(weekly.occurrence(Int.max) == nil, "an index from a request, refused before it overflows")
        let untilRule = try rule(count: nil, until: "2030-03-01")
        #expect(untilRule.occurrence(Int.max) == nil)
        let autumn = try rule(first: "2025-10-17", count: 3)
        #expect(
            (0..<3).compactMap(autumn.occurrence).map(utc) == [
                "2025-10-17T18:30:00Z", "2025-10-24T18:30:00Z", "2025-10-31T19:30:00Z",
            ])
        let utcRule = try rule(zone: "UTC", count: 3)
        #expect(utcRule.occurrence(2).map(utc) == "2025-03-28T20:30:00Z")
    }

    /// 02:30 does not exist in Paris on 2025-03-30 and comes twice on 2025-10-26: the gap's is
    /// read with the offset before it (01:30 UTC, shown 03:30), as RFC 5545 and Python's zoneinfo
    /// read it; the repeated one is the first.
    @Test func aTimeThatDaylightSavingSkipsOrRepeats() throws {
        let spring = try rule(first: "2025-03-23", time: "02:30", count: 2)
        #expect(spring.occurrence(1).map(utc) == "2025-03-30T01:30:00Z")
        let autumn = try rule(first: "2025-10-19", time: "02:30", count: 2)
        #expect(autumn.occurrence(1).map(utc) == "2025-10-26T00:30:00Z")
    }

    @Test func everyNWeeksSkipsTheWeeksBetween() throws {
        let fortnightly = try rule(interval: 2, count: 3)
        #expect((0..<3).map { fortnightly.day($0).text } == ["2025-03-14", "2025-03-28", "2025-04-11"])
        #expect(fortnightly.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;COUNT=3")
        #expect(fortnightly.label == "toutes les 2 semaines, le vendredi")
    }

    @Test func monthlyOnTheSecondOrTheLastFriday() throws {
        let second = try rule("monthly", first: "2025-01-10", count: 5)
        #expect(second.monthlyWeek == 2, "derived from the first date")
        #expect(
            (0..<5).map { second.day($0).text } == [
                "2025-01-10", "2025-02-14", "2025-03-14", "2025-04-11", "2025-05-09",
            ])
        #expect(second.rrule == "FREQ=MONTHLY;INTERVAL=1;BYDAY=2FR;COUNT=5")
        #expect(second.label == "le 2ᵉ vendredi de chaque mois")
        let last = try rule("monthly", first: "2025-01-31", week: -1, count: 4)
        #expect((0..<4).map { last.day($0).text } == ["2025-01-31", "2025-02-28", "2025-03-28", "2025-04-25"])
        #expect(last.rrule == "FREQ=MONTHLY;INTERVAL=1;BYDAY=-1FR;COUNT=4")
        let fifth = try rule("monthly", first: "2025-05-30", count: 2)
        #expect(fifth.monthlyWeek == -1, "a fifth Friday is the last one")
        let lastOfFourWeeks = try rule("monthly", first: "2025-02-28", week: -1, count: 2)
        #expect(lastOfFourWeeks.day(1).text == "2025-03-28")
    }

    @Test func untilEndsOnItsDayInclusiveAndIsWrittenInUTC() throws {
        let weekly = try rule(count: nil, until: "2025-04-04")
        #expect(weekly.total == 4, "the 4th of April itself is included")
        #expect(
            weekly.rrule == "FREQ=WEEKLY;INTERVAL=1;BYDAY=FR;UNTIL=20250404T215959Z", "23:59:59 in Paris, summer time")
        #expect(weekly.ending(before: 2).total == 2)
        #expect(weekly.ending(before: 2).rrule.hasSuffix("COUNT=2"))
    }

    @Test func theHorizonKeepsTheNextFourOccurrences() throws {
        let weekly = try rule(count: 6)
        let before = Date(timeIntervalSince1970: 0)
        #expect(SeriesHorizon.materialisedThrough(weekly, now: before) == 4)
        let afterTheFirst = try #require(weekly.occurrence(0)).addingTimeInterval(60)
        #expect(SeriesHorizon.materialisedThrough(weekly, now: afterTheFirst) == 5)
        let afterTheLast = try #require(weekly.occurrence(5)).addingTimeInterval(60)
        #expect(SeriesHorizon.materialisedThrough(weekly, now: afterTheLast) == 6, "never past the end")
    }

    @Test func badRulesAreRefusedOnTheirField() {
        let cases: [(String, () throws -> RecurrenceRule)] = [
            ("frequency", { try rule("daily") }),
            ("interval", { try rule(interval: 0) }),
            ("interval", { try rule(interval: 13) }),
            ("first_date", { try rule(first: "2025-02-30") }),
            ("time", { try rule(time: "24:00") }),
            ("time_zone", { try rule(zone: "Europe/Lutèce") }),
            ("time_zone", { try rule(zone: "") }),
            ("monthly_week", { try rule(week: 2) }),
            ("first_date", { try rule("monthly", first: "2025-03-14", week: 3) }),
            ("first_date", { try rule("monthly", first: "2025-03-14", week: -1) }),
            ("count", { try rule(count: nil, until: nil) }),
            ("count", { try rule(count: 3, until: "2025-06-01") }),
            ("count", { try rule(count: 201) }),
            ("until", { try rule(count: nil, until: "2025-03-01") }),
            ("until", { try rule(count: nil, until: "2031-01-01") }),
        ]
        for (field, make) in cases {
            let refused = refusal(make)
            #expect(refused?.field == field, "\(field): \(String(describing: refused))")
            #expect(refused.map { !$0.reason.isEmpty } ?? false)
        }
    }
}
