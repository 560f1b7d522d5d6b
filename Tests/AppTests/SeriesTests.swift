import EtrangeDomain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Expands the feed with `recurring-ical-events` from 2025-01-01 to 2026-01-01 and prints each
/// occurrence's summary, start in UTC, start in its own zone and number of alarms, in order.
private let expandFeed = #"""
    import sys, json, datetime
    from icalendar import Calendar
    import recurring_ical_events
    cal = Calendar.from_ical(sys.stdin.buffer.read())
    out = []
    for ev in recurring_ical_events.of(cal).between(datetime.date(2025, 1, 1), datetime.date(2026, 1, 1)):
        start = ev['DTSTART'].dt
        out.append({'summary': str(ev['SUMMARY']), 'utc': start.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%MZ'),
                    'local': start.strftime('%Y-%m-%d %H:%M'), 'alarms': len(list(ev.walk('VALARM')))})
    out.sort(key=lambda e: e['utc'])
    print(json.dumps(out))
    """#

/// Recurring sessions: the rule made into sessions a few at a time on the injected clock (the
/// pinned start is 2025-01-20), Europe/Paris' change of time on 2025-03-30, the MJ's edits, and
/// the calendar feed as a calendar program expands it.
@Suite struct SeriesTests {
    /// Tokens that outlive the months the clock advances.
    private let longTokens: (inout AppConfig) -> Void = { $0.tokenLifetime = 366 * 86400 }

    private func create(_ api: TestAPI, _ table: Table, _ extra: [String: Any] = [:]) async throws -> SeriesResponse {
        var json: [String: Any] = [
            "name": "Les vendredis", "frequency": "weekly", "first_date": "2025-03-14", "time": "20:30",
            "time_zone": "Europe/Paris", "count": 8,
        ]
        for (key, value) in extra { json[key] = value }
        let response = try await api.send(
            .POST, "/api/parties/\(table.partie.id)/series", token: table.mj.token, json: json)
        try #require(response.status == .created, "\(response.text)")
        return try response.decode()
    }

    private func show(_ api: TestAPI, _ table: Table, _ id: UUID) async throws -> SeriesResponse {
        let response = try await api.send(.GET, "/api/series/\(id)", token: table.player.token)
        try #require(response.status == .ok, "\(response.text)")
        return try response.decode()
    }

    private func utc(_ date: Date?) -> String {
        date.map { ISO8601DateFormatter().string(from: $0) } ?? "nil"
    }

    private func made(_ series: SeriesResponse) -> [SeriesResponse.Occurrence] {
        series.occurrences.filter { $0.sessionId != nil }
    }

    private func advance(_ api: TestAPI, to text: String) throws {
        let target = try #require(ISO8601DateFormatter().date(from: text))
        api.clock.advance(by: target.timeIntervalSince(api.clock.now()))
    }

    @Test(arguments: TestDatabase.enabled)
    func aWeeklySeriesStaysAt2030InParisAcrossTheChangeOfTime(db: TestDatabase) async throws {
        try await withTable(db, configure: longTokens) { api, table in
            let series = try await create(api, table)
            #expect(series.rrule == "FREQ=WEEKLY;INTERVAL=1;BYDAY=FR;COUNT=8")
            #expect(
                made(series).map { utc($0.scheduledDate) } == [
                    "2025-03-14T19:30:00Z", "2025-03-21T19:30:00Z", "2025-03-28T19:30:00Z", "2025-04-04T18:30:00Z",
                ], "20:30 in Paris: 19:30 UTC in winter, 18:30 UTC from 30 March")
            let sessions =
                try await api.send(
                    .GET, "/api/sessions?partie_id=\(table.partie.id)", token: table.player.token
                ).object["items"] as? [[String: Any]]
            #expect(sessions?.count == 4, "each occurrence of the horizon is a normal session")
            #expect(sessions?.allSatisfy { $0["status"] as? String == "scheduled" } == true)

            #expect(try await SeriesTopUp.topUpDue(on: api.db, at: api.clock.now()) == 0, "nothing passed yet")
            try advance(api, to: "2025-03-14T19:31:00Z")
            #expect(try await SeriesTopUp.topUpDue(on: api.db, at: api.clock.now()) == 1, "the first began")
            #expect(try await SeriesTopUp.topUpDue(on: api.db, at: api.clock.now()) == 0, "and only once")
            let later = try await show(api, table, series.id)
            #expect(made(later).last.map { utc($0.scheduledDate) } == "2025-04-11T18:30:00Z")
            try advance(api, to: "2025-04-05T00:00:00Z")
            #expect(try await SeriesTopUp.topUpDue(on: api.db, at: api.clock.now()) == 3, "up to the count of 8")
            #expect(made(try await show(api, table, series.id)).count == 8)
        }
    }

    /// The loop every instance runs tops the horizon up by itself once an occurrence starts.
    @Test(arguments: TestDatabase.enabled)
    func theLoopTopsUpWithoutAnyRequest(db: TestDatabase) async throws {
        try await withTable(db, configure: longTokens) { api, table in
            let series = try await create(api, table)
            try advance(api, to: "2025-03-14T19:31:00Z")
            let loop = SeriesHorizonLoop(every: .milliseconds(20))
            try await loop.didBootAsync(api.app)
            var count = 0
            for _ in 0..<250 where count < 5 {
                try await Task.sleep(for: .milliseconds(20))
                count = made(try await show(api, table, series.id)).count
            }
            await loop.shutdownAsync(api.app)
            #expect(count == 5, "the fifth made as the first began")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func monthlyOnTheSecondFridayUntilADate(db: TestDatabase) async throws {
        try await withTable(db, configure: longTokens) { api, table in
            let series = try await create(
                api, table,
                ["frequency": "monthly", "first_date": "2025-02-14", "count": NSNull(), "until": "2025-06-30"])
            #expect(series.monthlyWeek == 2)
            #expect(series.label == "le 2ᵉ vendredi de chaque mois")
            #expect(series.total == 5)
            #expect(series.rrule == "FREQ=MONTHLY;INTERVAL=1;BYDAY=2FR;UNTIL=20250630T215959Z")
            #expect(
                made(series).map { utc($0.scheduledDate) } == [
                    "2025-02-14T19:30:00Z", "2025-03-14T19:30:00Z", "2025-04-11T18:30:00Z", "2025-05-09T18:30:00Z",
                ])
            #expect(series.occurrences.count == 4, "the fifth is made when the first passes")
            let last = try await create(
                api, table, ["frequency": "monthly", "first_date": "2025-02-28", "monthly_week": -1, "count": 3])
            #expect(
                last.occurrences.map { String(utc($0.startsAt).prefix(10)) } == [
                    "2025-02-28", "2025-03-28", "2025-04-25",
                ])
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func passesOfFourInstancesAtOnceMakeEachOccurrenceOnce(db: TestDatabase) async throws {
        try await withTable(db, configure: longTokens) { api, table in
            var ids: [UUID] = []
            for _ in 0..<8 { ids.append(try await create(api, table).id) }
            try advance(api, to: "2025-03-21T19:31:00Z")
            let now = api.clock.now()
            // Four instances' passes at once over the same eight series.
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 { group.addTask { try await SeriesTopUp.topUpDue(on: api.db, at: now) } }
                return try await group.reduce(0, +)
            }
            #expect(total == 16, "two occurrences passed in each of the eight series, each made by one pass")
            for id in ids {
                let series = try await show(api, table, id)
                #expect(made(series).map(\.index) == Array(0..<6))
            }
            let count = try await Session.query(on: api.db).count()
            #expect(count == 48)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func oneOccurrenceIsASessionTheMJMovesOrCancels(db: TestDatabase) async throws {
        try await withTable(db, configure: longTokens) { api, table in
            let series = try await create(api, table)
            let second = try #require(series.occurrences[1].sessionId)
            let third = try #require(series.occurrences[2].sessionId)
            let moved = try await api.send(
                .PUT, "/api/sessions/\(second)", token: table.mj.token,
                json: ["scheduled_date": "2025-03-22T19:00:00Z"])
            #expect(moved.status == .ok, "\(moved.text)")
            #expect(
                try await api.send(.POST, "/api/sessions/\(third)/cancel", token: table.mj.token).status == .ok)
            let read = try await show(api, table, series.id)
            #expect(read.occurrences.map(\.exception) == [nil, "moved", "cancelled", nil])
            #expect(utc(read.occurrences[1].scheduledDate) == "2025-03-22T19:00:00Z")
            #expect(utc(read.occurrences[1].startsAt) == "2025-03-21T19:30:00Z", "where the rule put it")
            let refused = try await api.send(
                .PATCH, "/api/series/\(series.id)", token: table.mj.token, json: ["scope": "one", "occurrence": 1])
            #expect(refused.status == .badRequest)
            #expect(refused.reason.contains("PUT /api/sessions/"), "\(refused.text)")
            for index in [-1, 8, Int.max] {
                let outside = try await api.send(
                    .PATCH, "/api/series/\(series.id)", token: table.mj.token,
                    json: ["scope": "following", "occurrence": index, "cancelled": true])
                #expect(outside.status == .badRequest, "\(index): \(outside.text)")
            }
            let far = try await api.send(
                .POST, "/api/series/\(series.id)/occurrences/\(Int.max)", token: table.mj.token)
            #expect(far.status == .badRequest, "\(far.text)")

            // An evening far ahead is made into its session early, to be cancelled.
            let early = try await api.send(.POST, "/api/series/\(series.id)/occurrences/6", token: table.mj.token)
            #expect(early.status == .created, "\(early.text)")
            let again = try await api.send(.POST, "/api/series/\(series.id)/occurrences/6", token: table.mj.token)
            #expect(again.status == .ok)
            #expect(again.object["id"] as? String == early.object["id"] as? String)
            try advance(api, to: "2025-04-05T00:00:00Z")
            try await SeriesTopUp.topUpDue(on: api.db, at: api.clock.now())
            #expect(made(try await show(api, table, series.id)).map(\.index) == Array(0..<8), "6 not made twice")
        }
    }

    /// Occurrences are normal sessions, so the reminders' pass finds them; one moved is reminded
    /// at its new time, not at the rule's.
    @Test(arguments: TestDatabase.enabled)
    func occurrencesAreRemindedAndAMovedOneAtItsNewTime(db: TestDatabase) async throws {
        try await withTable(db, configure: longTokens) { api, table in
            let series = try await create(api, table)
            let second = try #require(series.occurrences[1].sessionId)
            try #require(
                try await api.send(
                    .PUT, "/api/sessions/\(second)", token: table.mj.token,
                    json: ["scheduled_date": "2025-03-22T19:00:00Z"]
                ).status == .ok)
            try advance(api, to: "2025-03-13T19:30:00Z")
            #expect(try await SessionReminders.queueDue(on: api.db, at: api.clock.now()) == 1, "24 h before the first")
            try advance(api, to: "2025-03-20T19:30:00Z")
            #expect(
                try await SessionReminders.queueDue(on: api.db, at: api.clock.now()) == 0,
                "24 h before where the rule put the second: it was moved")
            try advance(api, to: "2025-03-21T19:00:00Z")
            #expect(
                try await SessionReminders.queueDue(on: api.db, at: api.clock.now()) == 1, "24 h before its new time")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func thisAndAllFollowingSplitsTheSeries(db: TestDatabase) async throws {
        try await withTable(db, configure: longTokens) { api, table in
            let series = try await create(api, table)
            let third = try #require(series.occurrences[2].sessionId)
            let answered = try await api.send(
                .PUT, "/api/sessions/\(third)/rsvp", token: table.player.token, json: ["answer": "yes"])
            try #require(answered.status == .ok, "\(answered.text)")
            let split = try await api.send(
                .PATCH, "/api/series/\(series.id)", token: table.mj.token,
                json: ["scope": "following", "occurrence": 2, "time": "21:00", "name": "Les vendredis tardifs"])
            try #require(split.status == .ok, "\(split.text)")
            let next: SeriesResponse = try split.decode()
            #expect(next.id != series.id)
            #expect(next.firstDate == "2025-03-28")
            #expect(next.count == 6, "what was left of the 8")
            #expect(
                made(next).map { utc($0.scheduledDate) } == [
                    "2025-03-28T20:00:00Z", "2025-04-04T19:00:00Z", "2025-04-11T19:00:00Z", "2025-04-18T19:00:00Z",
                ])
            #expect(next.occurrences[0].sessionId == third, "the session made keeps its answers")
            let rsvp = try await api.send(.GET, "/api/sessions/\(third)", token: table.player.token)
            #expect((rsvp.object["rsvp"] as? [String: Any])?["yes"] as? Int == 1, "\(rsvp.text)")
            #expect((rsvp.object["name"] as? String) == "Les vendredis tardifs")
            let told = try await SessionEvent.query(on: api.db).filter(\.$session.$id == third)
                .filter(\.$type == "session.updated").count()
            #expect(told == 1, "its open pages hear of the new time")
            let old = try await show(api, table, series.id)
            #expect(old.count == 2)
            #expect(old.rrule.hasSuffix("COUNT=2"))
            #expect(made(old).count == 2)

            let ended = try await api.send(
                .PATCH, "/api/series/\(next.id)", token: table.mj.token,
                json: ["scope": "following", "occurrence": 1, "cancelled": true])
            #expect(ended.status == .noContent, "\(ended.text)")
            let cut = try await show(api, table, next.id)
            #expect(cut.total == 1)
            #expect(made(cut).map(\.index) == [0])
            let left = try await Session.query(on: api.db).count()
            #expect(left == 3, "the sessions still to be played after the cut are gone")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func onlyTheMJWritesAndOnlyMembersRead(db: TestDatabase) async throws {
        try await withTable(db, configure: longTokens) { api, table in
            let series = try await create(api, table)
            let body: [String: Any] = [
                "name": "x", "frequency": "weekly", "first_date": "2025-03-14", "time": "20:30", "count": 2,
            ]
            let path = "/api/parties/\(table.partie.id)/series"
            #expect(try await api.send(.POST, path, token: table.player.token, json: body).status == .forbidden)
            #expect(try await api.send(.POST, path, token: table.outsider.token, json: body).status == .notFound)
            #expect(try await api.send(.GET, path, token: table.player.token).status == .ok)
            #expect(try await api.send(.GET, path, token: table.outsider.token).status == .notFound)
            #expect(
                try await api.send(.GET, "/api/series/\(series.id)", token: table.outsider.token).status == .notFound)
            let patch: [String: Any] = ["scope": "following", "occurrence": 1, "cancelled": true]
            #expect(
                try await api.send(.PATCH, "/api/series/\(series.id)", token: table.player.token, json: patch).status
                    == .forbidden)
            #expect(
                try await api.send(.POST, "/api/series/\(series.id)/occurrences/5", token: table.player.token).status
                    == .forbidden)
            #expect(made(try await show(api, table, series.id)).count == 4, "nothing changed")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func badRulesAreRefusedInFrenchAndWriteNothing(db: TestDatabase) async throws {
        try await withTable(db, configure: longTokens) { api, table in
            let cases: [(String, [String: Any])] = [
                ("time_zone", ["time_zone": "Europe/Lutèce"]),
                ("interval", ["interval": 13]),
                ("count", ["until": "2025-06-01"]),
                ("count", ["count": NSNull()]),
                ("first_date", ["first_date": "2025-01-17"]),
                ("first_date", ["frequency": "monthly", "monthly_week": 3]),
                ("frequency", ["frequency": "daily"]),
            ]
            for (field, extra) in cases {
                var json: [String: Any] = [
                    "name": "Les vendredis", "frequency": "weekly", "first_date": "2025-03-14", "time": "20:30",
                    "count": 8,
                ]
                for (key, value) in extra { json[key] = value }
                let response = try await api.send(
                    .POST, "/api/parties/\(table.partie.id)/series", token: table.mj.token, json: json)
                #expect(response.status == .badRequest, "\(field): \(response.text)")
                #expect(response.text.contains("\"\(field)\""), "\(field): \(response.text)")
            }
            #expect(try await Session.query(on: api.db).count() == 0)
            #expect(try await SessionSeries.query(on: api.db).count() == 0)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func theFeedShowsTheSeriesOnceWithItsExceptions(db: TestDatabase) async throws {
        try await withTable(db, configure: longTokens) { api, table in
            let series = try await create(api, table, ["count": 6])
            let second = try #require(series.occurrences[1].sessionId)
            let third = try #require(series.occurrences[2].sessionId)
            try #require(
                try await api.send(
                    .PUT, "/api/sessions/\(second)", token: table.mj.token,
                    json: ["scheduled_date": "2025-03-22T19:00:00Z"]
                ).status == .ok)
            try #require(
                try await api.send(.POST, "/api/sessions/\(third)/cancel", token: table.mj.token).status == .ok)
            _ = try await api.createSession(
                table, name: "Seule", extra: ["scheduled_date": "2025-05-01T18:00:00Z"])
            let created = try await api.send(.POST, "/api/calendar/feed", token: table.player.token)
            let url = try #require(created.object["url"] as? String)
            let feed = try await api.send(.GET, String(url.dropFirst("http://etrange.test".count)))
            try #require(feed.status == .ok)
            #expect(feed.text.contains("DTSTART;TZID=Europe/Paris:20250314T203000\r\n"))
            #expect(feed.text.contains("RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=FR;COUNT=6\r\n"))
            #expect(feed.text.contains("EXDATE;TZID=Europe/Paris:20250328T203000\r\n"))
            #expect(feed.text.contains("RECURRENCE-ID;TZID=Europe/Paris:20250321T203000\r\n"))
            #expect(feed.text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\n"))
            let parsed = try await runPython(expandFeed, input: feed.text)
            let events = try #require(try JSONSerialization.jsonObject(with: Data(parsed.utf8)) as? [[String: Any]])
            #expect(
                events.map { $0["utc"] as? String ?? "" } == [
                    "2025-03-14T19:30Z", "2025-03-22T19:00Z", "2025-04-04T18:30Z", "2025-04-11T18:30Z",
                    "2025-04-18T18:30Z", "2025-05-01T18:00Z",
                ], "the moved one at its new time, the cancelled one gone, the four made sessions not twice")
            #expect(
                events.filter { ($0["summary"] as? String)?.hasSuffix("Les vendredis") == true }
                    .allSatisfy {
                        ($0["local"] as? String)?.hasSuffix("20:30") == true
                            || $0["local"] as? String == "2025-03-22 20:00"
                    })
            #expect(events.allSatisfy { $0["alarms"] as? Int == 2 }, "24 h and 1 h before each")
        }
    }
}
