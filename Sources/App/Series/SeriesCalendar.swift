import EtrangeDomain
import Fluent
import Foundation

/// The series of a calendar feed. Each is one VEVENT with its RRULE, DTSTART in its own time zone
/// (so that calendar programs keep 20:30 local across daylight saving, as the server does) and a
/// VTIMEZONE for it; a cancelled or deleted occurrence is an EXDATE, a moved or renamed one its
/// own VEVENT with the series' UID and a RECURRENCE-ID. The sessions the series made are
/// therefore not listed again as plain events.
struct SeriesFeed {
    let series: [SessionSeries]
    let links: [SeriesOccurrence]

    var sessionIDs: Set<UUID> { Set(links.map { $0.$session.id }) }

    static func load(partieIDs: [Int], on db: any Database) async throws -> SeriesFeed {
        guard !partieIDs.isEmpty else { return SeriesFeed(series: [], links: []) }
        let series = try await SessionSeries.query(on: db).filter(\.$partie.$id ~~ partieIDs).all()
        let ids = try series.map { try $0.requireID() }
        let links =
            ids.isEmpty
            ? [] : try await SeriesOccurrence.query(on: db).filter(\.$series.$id ~~ ids).with(\.$session).all()
        return SeriesFeed(series: series, links: links)
    }
}

extension ICalendar {
    /// One VTIMEZONE per zone the series use, then each series' events.
    mutating func series(_ feed: SeriesFeed, parties: [Int: Partie], publicURL: String, now: Date) {
        let rules = feed.series.compactMap { series in (try? series.rule).map { (series, $0) } }
        var zones: [String: (from: Date, to: Date)] = [:]
        for (_, rule) in rules where rule.total > 0 {
            let first = rule.instant(on: rule.firstDate)
            let last = rule.instant(on: rule.day(rule.total - 1))
            let known = zones[rule.timeZone.identifier]
            zones[rule.timeZone.identifier] = (min(known?.from ?? first, first), max(known?.to ?? last, last))
        }
        for (identifier, span) in zones.sorted(by: { $0.key < $1.key }) {
            guard let zone = TimeZone(identifier: identifier) else { continue }
            timeZone(zone, from: span.from, to: span.to)
        }
        for (series, rule) in rules {
            guard let id = series.id, let partie = parties[series.$partie.id] else { continue }
            let uid = "series-\(id.uuidString.lowercased())@etrange-france"
            let links = feed.links.filter { $0.$series.id == id }.sorted { $0.index < $1.index }
            let made = Set(links.map(\.index))
            property("BEGIN", "VEVENT")
            property("UID", uid)
            date("DTSTAMP", now)
            local("DTSTART", rule.instant(on: rule.firstDate), in: rule.timeZone)
            property("DURATION", "PT\(partie.sessionLengthMinutes)M")
            property("RRULE", rule.rrule)
            // Occurrences the series passed without a session (deleted, or passed while no
            // instance ran), and cancelled ones.
            for index in 0..<min(series.nextIndex, rule.total) where !made.contains(index) {
                local("EXDATE", rule.instant(on: rule.day(index)), in: rule.timeZone)
            }
            for link in links where SeriesException(link: link, session: link.session) == .cancelled {
                local("EXDATE", link.originalStart, in: rule.timeZone)
            }
            property("STATUS", "CONFIRMED")
            text("SUMMARY", "\(partie.name) — \(series.name)")
            var description =
                "Série « \(series.name) » de la partie « \(partie.name) » : \(rule.label), \(rule.time.text)."
            if let more = series.description, !more.isEmpty { description += "\n\n" + more }
            text("DESCRIPTION", description)
            property("URL", "\(publicURL)/")
            date("CREATED", series.createdAt)
            date("LAST-MODIFIED", series.updatedAt)
            alarms(partie.reminderOffsetList, name: series.name, partie: partie.name)
            property("END", "VEVENT")
            for link in links {
                let session = link.session
                guard let start = session.scheduledDate, session.status != .cancelled,
                    SeriesException(link: link, session: session) == .moved || session.name != series.name
                else { continue }
                property("BEGIN", "VEVENT")
                property("UID", uid)
                date("DTSTAMP", now)
                local("RECURRENCE-ID", link.originalStart, in: rule.timeZone)
                local("DTSTART", start, in: rule.timeZone)
                property("DURATION", "PT\(partie.sessionLengthMinutes)M")
                property("SEQUENCE", String(session.revision))
                property("STATUS", "CONFIRMED")
                text("SUMMARY", "\(partie.name) — \(session.name)")
                text(
                    "DESCRIPTION",
                    "Session « \(session.name) » de la partie « \(partie.name) » (\(session.status.label)).")
                date("LAST-MODIFIED", session.updatedAt)
                if session.status == .scheduled {
                    alarms(partie.reminderOffsetList, name: session.name, partie: partie.name)
                }
                property("END", "VEVENT")
            }
        }
    }

    /// `name;TZID=zone:YYYYMMDDTHHMMSS`, the wall-clock time of `date` in `zone`.
    mutating func local(_ name: String, _ date: Date, in zone: TimeZone) {
        property("\(name);TZID=\(zone.identifier)", Self.wallClock(date, in: zone))
    }

    static func wallClock(_ date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let p = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02d", p.year!, p.month!, p.day!, p.hour!, p.minute!, p.second!)
    }

    /// The zone's offsets over the span of the series, a year more on each side, as the dated
    /// transitions Foundation knows (from the system's tzdata): every program reads those, where
    /// an RRULE of the transitions would guess the rule of years to come.
    mutating func timeZone(_ zone: TimeZone, from: Date, to: Date) {
        let year: TimeInterval = 366 * 86400
        var moment = from.addingTimeInterval(-year)
        let end = to.addingTimeInterval(year)
        property("BEGIN", "VTIMEZONE")
        property("TZID", zone.identifier)
        func component(at instant: Date, from before: Int, to after: Int) {
            let kind = zone.isDaylightSavingTime(for: instant) ? "DAYLIGHT" : "STANDARD"
            property("BEGIN", kind)
            // The onset, in the local time in force before it.
            property(
                "DTSTART", Self.wallClock(instant, in: TimeZone(secondsFromGMT: before) ?? zone))
            property("TZOFFSETFROM", Self.offset(before))
            property("TZOFFSETTO", Self.offset(after))
            if let abbreviation = zone.abbreviation(for: instant) { text("TZNAME", abbreviation) }
            property("END", kind)
        }
        let initial = zone.secondsFromGMT(for: moment)
        component(at: moment, from: initial, to: initial)
        while let transition = zone.nextDaylightSavingTimeTransition(after: moment), transition < end {
            component(
                at: transition, from: zone.secondsFromGMT(for: transition.addingTimeInterval(-1)),
                to: zone.secondsFromGMT(for: transition))
            moment = transition
        }
        property("END", "VTIMEZONE")
    }

    static func offset(_ seconds: Int) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let minutes = abs(seconds) / 60
        return String(format: "%@%02d%02d", sign, minutes / 60, minutes % 60)
    }

    /// One VALARM per reminder offset of the partie, as its webhooks remind.
    mutating func alarms(_ offsets: [Int], name: String, partie: String) {
        for offset in offsets {
            property("BEGIN", "VALARM")
            property("ACTION", "DISPLAY")
            property("TRIGGER", "-PT\(offset)M")
            text("DESCRIPTION", "Rappel : « \(name) » (\(partie)) commence bientôt.")
            property("END", "VALARM")
        }
    }
}
