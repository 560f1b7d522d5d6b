import EtrangeDomain
import Foundation
import Testing
import Vapor

@testable import App

/// Runs a Python snippet on `input`, off the cooperative pool. Files rather than pipes:
/// Foundation's pipe reads crash on an interrupted system call, which a busy test run provokes.
func runPython(_ script: String, input: String) async throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("etrange-python-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let inputURL = directory.appendingPathComponent("input")
    let outputURL = directory.appendingPathComponent("output")
    let errorURL = directory.appendingPathComponent("errors")
    try Data(input.utf8).write(to: inputURL)
    _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            do {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["python3", "-c", script]
                process.standardInput = try FileHandle(forReadingFrom: inputURL)
                process.standardOutput = try FileHandle(forWritingTo: outputURL)
                process.standardError = try FileHandle(forWritingTo: errorURL)
                try process.run()
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
    guard status == 0 else {
        throw Abort(
            .internalServerError, reason: "python: \((try? String(contentsOf: errorURL, encoding: .utf8)) ?? "")")
    }
    return try String(contentsOf: outputURL, encoding: .utf8)
}

/// Parses the feed with the `icalendar` package (a real RFC 5545 parser) and returns its events.
private let parseFeed = #"""
    import sys, json
    from icalendar import Calendar
    raw = sys.stdin.buffer.read()
    cal = Calendar.from_ical(raw)
    assert cal.get('VERSION') == '2.0' and cal.get('PRODID'), 'VERSION/PRODID'
    for line in raw.split(b'\r\n'):
        assert len(line) <= 75, ('line too long', len(line))
    assert b'\n' not in raw.replace(b'\r\n', b''), 'bare LF'
    events = []
    for ev in cal.walk('VEVENT'):
        for required in ('UID', 'DTSTAMP', 'DTSTART', 'DTEND', 'SEQUENCE', 'STATUS', 'SUMMARY'):
            assert ev.get(required) is not None, required
        start, end = ev.decoded('DTSTART'), ev.decoded('DTEND')
        assert start.utcoffset().total_seconds() == 0 and end.utcoffset().total_seconds() == 0, 'UTC'
        events.append({'uid': str(ev['UID']), 'start': start.isoformat(), 'end': end.isoformat(),
                       'sequence': int(ev['SEQUENCE']), 'status': str(ev['STATUS']),
                       'summary': str(ev['SUMMARY']), 'description': str(ev.get('DESCRIPTION', ''))})
    print(json.dumps(sorted(events, key=lambda e: e['start'])))
    """#

private struct FeedEvent: Decodable {
    let uid: String
    let start: String
    let end: String
    let sequence: Int
    let status: String
    let summary: String
    let description: String
}

@Suite struct CalendarTests {
    /// The secret path of a feed URL, with its `.ics`.
    private func path(of url: String) throws -> String {
        let prefix = "http://etrange.test"
        try #require(url.hasPrefix(prefix + "/api/calendar/") && url.hasSuffix(".ics"), "feed url \(url)")
        return String(url.dropFirst(prefix.count))
    }

    private func feed(_ api: TestAPI, _ path: String) async throws -> [FeedEvent] {
        let response = try await api.send(.GET, path)
        try #require(response.status == .ok, "feed: \(response.status) \(response.text)")
        #expect(response.headers.contentType?.description.hasPrefix("text/calendar") == true)
        let parsed = try await runPython(parseFeed, input: response.text)
        return try JSONDecoder().decode([FeedEvent].self, from: Data(parsed.utf8))
    }

    @Test(arguments: TestDatabase.enabled)
    func feedListsScheduledSessionsForPhoneCalendars(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let settings = try await api.send(
                .PUT, "/api/parties/\(table.partie.id)", token: table.mj.token,
                json: ["session_length_minutes": 180])
            #expect(settings.status == .ok, "\(settings.text)")
            let first = try await api.createSession(
                table, name: "Le manoir, première nuit",
                extra: [
                    "scheduled_date": "2025-02-07T19:30:00Z", "description": "Apportez vos dés; et du café, beaucoup.",
                ])
            let second = try await api.createSession(
                table, name: "Annulée", extra: ["scheduled_date": "2025-02-14T19:30:00Z"])
            _ = try await api.createSession(table, name: "Sans date")
            try #require(try await api.move(second, .cancel, table).status == .ok)

            #expect(
                try await api.send(.GET, "/api/calendar/feed", token: table.player.token).object["active"] as? Bool
                    == false)
            let created = try await api.send(.POST, "/api/calendar/feed", token: table.player.token)
            try #require(created.status == .created, "\(created.text)")
            let url = try #require(created.object["url"] as? String)
            let feedPath = try path(of: url)
            let shown = try await api.send(.GET, "/api/calendar/feed", token: table.player.token)
            #expect(shown.object["active"] as? Bool == true)
            #expect(shown.object["url"] == nil, "the secret is shown once")

            var events = try await feed(api, feedPath)
            try #require(events.count == 2, "dated sessions only: \(events.map(\.summary))")
            #expect(events[0].uid == "session-\(first.id.uuidString.lowercased())@etrange-france")
            #expect(events[0].start == "2025-02-07T19:30:00+00:00")
            #expect(events[0].end == "2025-02-07T22:30:00+00:00", "the partie's usual length")
            #expect(events[0].summary == "La Campagne — Le manoir, première nuit")
            #expect(events[0].description.contains("Apportez vos dés; et du café, beaucoup."), "escaped and read back")
            #expect(events[0].status == "CONFIRMED")
            #expect(events[1].status == "CANCELLED", "a cancelled session stays, marked")
            let firstSequence = events[0].sequence

            let moved = try await api.send(
                .PUT, "/api/sessions/\(first.id)", token: table.mj.token,
                json: ["scheduled_date": "2025-02-08T18:00:00Z"])
            #expect(moved.status == .ok)
            events = try await feed(api, feedPath)
            #expect(events[0].start == "2025-02-08T18:00:00+00:00")
            #expect(events[0].sequence > firstSequence, "SEQUENCE moves with every change")
            #expect(events[0].uid == "session-\(first.id.uuidString.lowercased())@etrange-france", "the UID is stable")

            // One partie only, and never someone else's.
            let other = try await api.createPartie(table.outsider, name: "Ailleurs")
            #expect(try await feed(api, feedPath + "?partie_id=\(table.partie.id)").count == 2)
            #expect(try await api.send(.GET, feedPath + "?partie_id=\(other.id)").status == .notFound)
            #expect(try await api.send(.GET, feedPath + "?partie_id=abc").status == .badRequest)

            // Rotating kills the old address; deleting kills the new one.
            let rotated = try await api.send(.POST, "/api/calendar/feed", token: table.player.token)
            let rotatedPath = try path(of: try #require(rotated.object["url"] as? String))
            #expect(rotatedPath != feedPath)
            #expect(try await api.send(.GET, feedPath).status == .notFound)
            #expect(try await api.send(.GET, rotatedPath).status == .ok)
            #expect(try await api.send(.DELETE, "/api/calendar/feed", token: table.player.token).status == .noContent)
            #expect(try await api.send(.GET, rotatedPath).status == .notFound)
            #expect(try await api.send(.GET, "/api/calendar/not-a-secret.ics").status == .notFound)
            #expect(try await api.send(.GET, "/api/calendar/feed").status == .unauthorized)
        }
    }

    @Test func linesAreFoldedOnCharacterBoundariesAndTextIsEscaped() {
        let long = String(repeating: "é", count: 60)
        let folded = ICalendar.fold("SUMMARY:" + long)
        for line in folded.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 75)
        }
        #expect(folded.replacingOccurrences(of: "\r\n ", with: "") == "SUMMARY:" + long)
        #expect(ICalendar.escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne")
        #expect(ICalendar.utc(pinnedStart) == "20250120T200000Z")
    }

    @Test(arguments: TestDatabase.enabled)
    func partieSettingsAreTheMJs(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            #expect(table.partie.sessionLengthMinutes == 240)
            let path = "/api/parties/\(table.partie.id)"
            #expect(
                try await api.send(.PUT, path, token: table.player.token, json: ["name": "À moi"]).status == .forbidden)
            #expect(
                try await api.send(.PUT, path, token: table.outsider.token, json: ["name": "À moi"]).status == .notFound
            )
            #expect(try await api.send(.PUT, path, json: ["name": "À moi"]).status == .unauthorized)
            let tooShort = try await api.send(.PUT, path, token: table.mj.token, json: ["session_length_minutes": 5])
            #expect(tooShort.status == .badRequest)
            #expect(tooShort.error?.field == "session_length_minutes")
            #expect(try await api.send(.PUT, path, token: table.mj.token, json: ["name": ""]).error?.field == "name")
            let renamed = try await api.send(
                .PUT, path, token: table.mj.token, json: ["name": "La Nuit", "session_length_minutes": 300])
            let partie = try renamed.decode(PartieResponse.self)
            #expect(partie.name == "La Nuit" && partie.sessionLengthMinutes == 300)
            let created = try await api.send(
                .POST, "/api/parties", token: table.mj.token,
                json: ["name": "Courte", "session_length_minutes": 90])
            #expect(try created.decode(PartieResponse.self).sessionLengthMinutes == 90)
            #expect(
                try await api.send(
                    .POST, "/api/parties", token: table.mj.token,
                    json: ["name": "Folle", "session_length_minutes": 100_000]
                ).status == .badRequest)
        }
    }
}
