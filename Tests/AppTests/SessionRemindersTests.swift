import EtrangeDomain
import Foundation
import Testing
import Vapor

@testable import App

/// Feeds `icalendar` the feed and lists each event's alarms: summary, status, and per alarm its
/// action, trigger (in minutes before the start) and description.
private let parseAlarms = #"""
    import sys, json
    from icalendar import Calendar
    cal = Calendar.from_ical(sys.stdin.buffer.read())
    out = {}
    for ev in cal.walk('VEVENT'):
        alarms = []
        for alarm in ev.walk('VALARM'):
            trigger = alarm.decoded('TRIGGER')
            alarms.append({'action': str(alarm['ACTION']), 'minutes': int(-trigger.total_seconds() // 60),
                           'description': str(alarm['DESCRIPTION'])})
        out[str(ev['SUMMARY'])] = {'status': str(ev['STATUS']), 'alarms': alarms}
    print(json.dumps(out))
    """#

/// Reminders before scheduled sessions: the partie's offsets, the `session.reminder` webhooks
/// queued once by the pass on the injected clock, and the calendar feed's alarms.
@Suite struct SessionRemindersTests {
    /// A receiver and the usual table whose partie sends it its webhooks in `format`.
    private func withHook(
        _ db: TestDatabase, format: String = "json", _ body: (TestAPI, Table, Receiver) async throws -> Void
    ) async throws {
        try await withReceiver { receiver in
            try await withTable(db, configure: { $0.webhooksMayReachPrivateAddresses = true }) { api, table in
                let response = try await api.send(
                    .PUT, "/api/parties/\(table.partie.id)/webhook", token: table.mj.token,
                    json: ["url": receiver.url, "format": format])
                try #require(response.status == .ok, "\(response.text)")
                try await body(api, table, receiver)
            }
        }
    }

    private func scheduled(_ api: TestAPI, _ table: Table, _ name: String, in interval: TimeInterval) async throws
        -> SessionResponse
    {
        try await api.createSession(
            table, name: name,
            extra: ["scheduled_date": JSONCoding.format(api.clock.now().addingTimeInterval(interval))])
    }

    /// One pass of the reminders, as the dispatcher runs it.
    private func pass(_ api: TestAPI) async throws -> Int {
        try await SessionReminders.queueDue(on: api.app.db, at: api.clock.now())
    }

    private func reminders(_ receiver: Receiver) throws -> [[String: Any]] {
        try receiver.received.filter { $0.headers.first(name: "X-Etrange-Event") == "session.reminder" }.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any])
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func theMJSetsTheOffsetsWithinBounds(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            #expect(table.partie.reminderOffsetsMinutes == [1440, 60], "24 h and 1 h by default")
            let path = "/api/parties/\(table.partie.id)"
            let set = try await api.send(
                .PUT, path, token: table.mj.token, json: ["reminder_offsets_minutes": [30, 2880]])
            #expect(set.status == .ok, "\(set.text)")
            #expect(set.object["reminder_offsets_minutes"] as? [Int] == [2880, 30], "the longest first")
            for bad: [Int] in [[4], [20161], [60, 60], [5, 10, 15, 20]] {
                let refused = try await api.send(
                    .PUT, path, token: table.mj.token, json: ["reminder_offsets_minutes": bad])
                #expect(refused.status == .badRequest, "\(bad): \(refused.text)")
                #expect(refused.text.contains("reminder_offsets_minutes"), "\(refused.text)")
            }
            let byPlayer = try await api.send(
                .PUT, path, token: table.player.token, json: ["reminder_offsets_minutes": [10]])
            #expect(byPlayer.status == .forbidden || byPlayer.status == .notFound, "\(byPlayer.status)")
            let none = try await api.send(.PUT, path, token: table.mj.token, json: ["reminder_offsets_minutes": []])
            #expect(none.object["reminder_offsets_minutes"] as? [Int] == [], "no reminders at all")
            let shown = try await api.send(.GET, path, token: table.player.token)
            #expect(shown.object["reminder_offsets_minutes"] as? [Int] == [], "unchanged by the refusals")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func aReminderIsQueuedOnceWithPassesRacingAndNotAgainAfterARestart(db: TestDatabase) async throws {
        try await withHook(db) { api, table, receiver in
            let session = try await scheduled(api, table, "Au manoir", in: 25 * 3600)
            try #require(
                try await api.send(
                    .PUT, "/api/sessions/\(session.id)/rsvp", token: table.player.token, json: ["answer": "yes"]
                ).status == .ok)
            _ = try await receiver.waitFor(1, poke: api)  // session.scheduled
            #expect(try await pass(api) == 0, "the day-before reminder is an hour away")

            api.clock.advance(by: 3600)
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 { group.addTask { try await pass(api) } }
                return try await group.reduce(0, +)
            }
            #expect(counts == 1, "six passes racing queue it once")
            _ = try await receiver.waitFor(2, poke: api)
            var sent = try reminders(receiver)
            try #require(sent.count == 1)
            let reminder = try #require(sent[0]["reminder"] as? [String: Any], "\(sent[0])")
            #expect(reminder["offset_minutes"] as? Int == 1440)
            #expect((reminder["yes"] as? [[String: Any]])?.map { $0["username"] as? String } == ["armand"])
            #expect((reminder["not_answered"] as? [Any])?.isEmpty == true, "the MJ is not asked")
            #expect((sent[0]["session"] as? [String: Any])?["id"] as? String == session.id.uuidString)

            // A restart keeps nothing but the database: a fresh pass finds the key and queues nothing.
            api.clock.advance(by: 60)
            #expect(try await pass(api) == 0)
            await WebhookDispatcher.deliverDue(api.app)
            #expect(try reminders(receiver).count == 1, "not sent again")

            api.clock.advance(by: 23 * 3600)
            _ = try await receiver.waitFor(3, poke: api)
            sent = try reminders(receiver)
            #expect(sent.count == 2)
            #expect((sent.last?["reminder"] as? [String: Any])?["offset_minutes"] as? Int == 60, "the hour before")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func cancelledSessionsGetNoneAndMovedOnesGetThemAtTheirNewTime(db: TestDatabase) async throws {
        try await withHook(db) { api, table, receiver in
            let cancelled = try await scheduled(api, table, "Annulée", in: 2 * 3600)
            let moved = try await scheduled(api, table, "Déplacée", in: 2 * 3600)
            try #require(try await api.move(cancelled, .cancel, table).status == .ok)

            api.clock.advance(by: 3600)
            #expect(try await pass(api) == 1, "the moved one, not yet moved; never the cancelled one")
            let newDate = api.clock.now().addingTimeInterval(5 * 3600)
            try #require(
                try await api.send(
                    .PUT, "/api/sessions/\(moved.id)", token: table.mj.token,
                    json: ["scheduled_date": JSONCoding.format(newDate)]
                ).status == .ok)
            #expect(try await pass(api) == 0, "the old time's reminder was sent, the new one is not due")

            api.clock.advance(by: 4 * 3600)
            #expect(try await pass(api) == 1, "the hour before its new time")
            #expect(try await pass(api) == 0)
            _ = try await receiver.waitFor(6, poke: api)  // 2 scheduled, cancelled, rescheduled, 2 reminders
            let sent = try reminders(receiver)
            #expect(sent.count == 2)
            let dates = sent.compactMap { ($0["session"] as? [String: Any])?["scheduled_date"] as? String }
            // Sent in one turn, in either order: the old time's reminder, then the new time's.
            #expect(
                dates.sorted() == [JSONCoding.format(try #require(moved.scheduledDate)), JSONCoding.format(newDate)],
                "\(dates)")
            #expect(sent.allSatisfy { ($0["session"] as? [String: Any])?["name"] as? String == "Déplacée" })
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func theDiscordReminderListsWhoComesAndPingsNobody(db: TestDatabase) async throws {
        try await withHook(db, format: "discord") { api, table, receiver in
            let berthe = try await api.register("berthe", displayName: "@everyone Berthe")
            let cyril = try await api.register("cyril")
            try await api.join(berthe, table.partie)
            try await api.join(cyril, table.partie)
            let session = try await scheduled(api, table, "Au manoir", in: 90 * 60)
            for (user, answer) in [(table.player, "yes"), (berthe, "maybe")] {
                try #require(
                    try await api.send(
                        .PUT, "/api/sessions/\(session.id)/rsvp", token: user.token, json: ["answer": answer]
                    ).status == .ok)
            }
            api.clock.advance(by: 30 * 60)
            let calls = try await receiver.waitFor(2, poke: api)
            let call = try #require(calls.first { $0.headers.first(name: "X-Etrange-Event") == "session.reminder" })
            let body = try #require(try JSONSerialization.jsonObject(with: Data(call.body.utf8)) as? [String: Any])
            let content = try #require(body["content"] as? String)
            #expect(content.contains("Rappel"), "\(content)")
            #expect(content.contains("Oui : armand\n"), "\(content)")
            #expect(content.contains("Peut-être : @everyone Berthe\n"), "\(content)")
            #expect(content.hasSuffix("Sans réponse : cyril"), "the MJ is not listed: \(content)")
            #expect((body["allowed_mentions"] as? [String: Any])?["parse"] as? [Any] != nil)
            #expect(((body["allowed_mentions"] as? [String: Any])?["parse"] as? [Any])?.isEmpty == true)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func theFeedCarriesOneAlarmPerOffsetOnScheduledSessions(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            try #require(
                try await api.send(
                    .PUT, "/api/parties/\(table.partie.id)", token: table.mj.token,
                    json: ["reminder_offsets_minutes": [60, 1440, 10]]
                ).status == .ok)
            _ = try await scheduled(api, table, "Prévue", in: 48 * 3600)
            let cancelled = try await scheduled(api, table, "Annulée", in: 72 * 3600)
            try #require(try await api.move(cancelled, .cancel, table).status == .ok)
            let created = try await api.send(.POST, "/api/calendar/feed", token: table.player.token)
            let url = try #require(created.object["url"] as? String)
            let response = try await api.send(.GET, String(url.dropFirst("http://etrange.test".count)))
            try #require(response.status == .ok, "\(response.text)")
            let parsed = try await runPython(parseAlarms, input: response.text)
            let events = try #require(
                try JSONSerialization.jsonObject(with: Data(parsed.utf8)) as? [String: [String: Any]])
            let alarms = try #require(events["La Campagne — Prévue"]?["alarms"] as? [[String: Any]], "\(parsed)")
            #expect(alarms.map { $0["minutes"] as? Int } == [1440, 60, 10])
            #expect(alarms.allSatisfy { $0["action"] as? String == "DISPLAY" })
            #expect(alarms.allSatisfy { ($0["description"] as? String)?.contains("« Prévue »") == true })
            #expect(
                (events["La Campagne — Annulée"]?["alarms"] as? [Any])?.isEmpty == true, "a cancelled one rings not")
        }
    }
}
