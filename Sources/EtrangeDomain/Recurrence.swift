import Foundation

/// A calendar day with no time zone, as a person writes it (`2026-03-20`).
public struct LocalDate: Hashable, Sendable, Comparable {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...LocalDate.days(inMonth: month, of: year)).contains(day)
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    public var text: String { String(format: "%04d-%02d-%02d", year, month, day) }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (proleptic Gregorian), so that adding weeks is integer arithmetic
    /// and never meets a time zone.
    var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    init(dayNumber: Int) {
        let z = dayNumber + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    /// 0 for Sunday to 6 for Saturday (1970-01-01 was a Thursday).
    public var weekday: Int { ((dayNumber % 7) + 7 + 4) % 7 }

    func adding(days: Int) -> LocalDate { LocalDate(dayNumber: dayNumber + days) }
}

/// A wall-clock time (`20:30`).
public struct LocalTime: Hashable, Sendable {
    public let hour: Int
    public let minute: Int

    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hour = Int(parts[0]),
            let minute = Int(parts[1]), (0...23).contains(hour), (0...59).contains(minute)
        else { return nil }
        self.hour = hour
        self.minute = minute
    }

    public var text: String { String(format: "%02d:%02d", hour, minute) }
}

public enum RecurrenceFrequency: String, Sendable, Codable, CaseIterable {
    case weekly, monthly
}

/// How a series ends: after a number of occurrences, or with the last one on or before a day.
public enum RecurrenceEnd: Hashable, Sendable {
    case count(Int)
    case until(LocalDate)
}

/// Why a rule cannot be made, and which field of the request says it.
public struct RecurrenceRefusal: Error, Equatable, Sendable {
    public let field: String
    public let reason: String
}

/// A series' rule: every `interval` weeks on the first date's weekday, or every `interval` months
/// on the `monthlyWeek`-th (or last) such weekday, at a wall-clock time of a named time zone, so
/// that 20:30 in Europe/Paris stays 20:30 there whatever daylight saving does to UTC. The first
/// date is itself the first occurrence, as RFC 5545 wants DTSTART to be.
public struct RecurrenceRule: Hashable, Sendable {
    public let frequency: RecurrenceFrequency
    public let interval: Int
    public let firstDate: LocalDate
    public let time: LocalTime
    public let timeZone: TimeZone
    /// 1 to 4, or -1 for the last; monthly rules only.
    public let monthlyWeek: Int?
    public let end: RecurrenceEnd

    public static let intervals = 1...12
    public static let counts = 1...200
    /// The furthest `until` from the first date: a series is a campaign's rhythm, not forever.
    public static let maxYears = 5
    public static let monthlyWeeks = [1, 2, 3, 4, -1]
    static let maxOccurrences = 300

    /// Checks every field, in the order a form shows them.
    public static func make(
        frequency: String, interval: Int?, firstDate: String, time: String, timeZone: String,
        monthlyWeek: Int?, count: Int?, until: String?
    ) -> Result<RecurrenceRule, RecurrenceRefusal> {
        func refuse(_ field: String, _ reason: String) -> Result<RecurrenceRule, RecurrenceRefusal> {
            .failure(RecurrenceRefusal(field: field, reason: reason))
        }
        guard let frequency = RecurrenceFrequency(rawValue: frequency) else {
            return refuse("frequency", "valeurs possibles : weekly (chaque semaine ou toutes les N semaines), monthly.")
        }
        let interval = interval ?? 1
        guard intervals.contains(interval) else {
            return refuse("interval", "doit être entre \(intervals.lowerBound) et \(intervals.upperBound).")
        }
        guard let first = LocalDate(firstDate) else {
            return refuse("first_date", "date attendue au format AAAA-MM-JJ (par exemple 2026-03-20).")
        }
        guard let wallTime = LocalTime(time) else {
            return refuse("time", "heure attendue au format HH:MM (par exemple 20:30).")
        }
        guard let zone = TimeZone(identifier: timeZone), timeZone.contains("/") || timeZone == "UTC" else {
            return refuse("time_zone", "fuseau horaire inconnu : donnez un nom IANA comme Europe/Paris.")
        }
        var week: Int?
        switch frequency {
        case .weekly:
            guard monthlyWeek == nil else {
                return refuse("monthly_week", "seulement pour une série mensuelle.")
            }
        case .monthly:
            let last = first.day + 7 > LocalDate.days(inMonth: first.month, of: first.year)
            let ordinal = (first.day - 1) / 7 + 1
            let chosen = monthlyWeek ?? (ordinal == 5 ? -1 : ordinal)
            guard monthlyWeeks.contains(chosen) else {
                return refuse("monthly_week", "1, 2, 3, 4 ou -1 (le dernier du mois).")
            }
            guard chosen == ordinal || (chosen == -1 && last) else {
                return refuse(
                    "first_date",
                    "le \(first.text) n'est pas le \(weekLabel(chosen)) \(weekdayNames[first.weekday]) de son mois.")
            }
            week = chosen
        }
        let end: RecurrenceEnd
        switch (count, until) {
        case (nil, nil), (.some, .some):
            return refuse(
                "count", "donnez soit un nombre de séances (count), soit une date de fin (until), pas les deux.")
        case (let count?, nil):
            guard counts.contains(count) else {
                return refuse("count", "entre \(counts.lowerBound) et \(counts.upperBound) séances.")
            }
            end = .count(count)
        case (nil, let until?):
            guard let day = LocalDate(until) else {
                return refuse("until", "date attendue au format AAAA-MM-JJ.")
            }
            guard day >= first else { return refuse("until", "ne peut pas précéder la première date.") }
            let limit = LocalDate(year: first.year + maxYears, month: first.month, day: min(first.day, 28))
            guard day <= limit else { return refuse("until", "au plus \(maxYears) ans après la première date.") }
            end = .until(day)
        }
        return .success(
            RecurrenceRule(
                frequency: frequency, interval: interval, firstDate: first, time: wallTime, timeZone: zone,
                monthlyWeek: week, end: end))
    }

    public init(
        frequency: RecurrenceFrequency, interval: Int, firstDate: LocalDate, time: LocalTime, timeZone: TimeZone,
        monthlyWeek: Int?, end: RecurrenceEnd
    ) {
        self.frequency = frequency
        self.interval = interval
        self.firstDate = firstDate
        self.time = time
        self.timeZone = timeZone
        self.monthlyWeek = monthlyWeek
        self.end = end
    }

    static let weekdayNames = ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"]
    static let weekdayCodes = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]

    static func weekLabel(_ week: Int) -> String {
        switch week {
        case -1: "dernier"
        case 1: "1ᵉʳ"
        default: "\(week)ᵉ"
        }
    }

    /// « chaque vendredi », « toutes les 2 semaines, le vendredi », « le 2ᵉ vendredi de chaque mois ».
    public var label: String {
        let day = Self.weekdayNames[firstDate.weekday]
        switch frequency {
        case .weekly:
            return interval == 1 ? "chaque \(day)" : "toutes les \(interval) semaines, le \(day)"
        case .monthly:
            let which = "le \(Self.weekLabel(monthlyWeek ?? 1)) \(day)"
            return interval == 1 ? "\(which) de chaque mois" : "\(which) du mois, tous les \(interval) mois"
        }
    }

    /// The day of occurrence `index` (from 0), whether or not the rule's end comes before it.
    public func day(_ index: Int) -> LocalDate {
        switch frequency {
        case .weekly:
            return firstDate.adding(days: 7 * interval * index)
        case .monthly:
            let months = firstDate.month - 1 + interval * index
            let year = firstDate.year + months / 12
            let month = months % 12 + 1
            let firstOfMonth = LocalDate(year: year, month: month, day: 1)
            let offset = (firstDate.weekday - firstOfMonth.weekday + 7) % 7
            let week = monthlyWeek ?? 1
            if week > 0 { return LocalDate(year: year, month: month, day: 1 + offset + 7 * (week - 1)) }
            let days = LocalDate.days(inMonth: month, of: year)
            let lastDay = 1 + offset + 7 * ((days - 1 - offset) / 7)
            return LocalDate(year: year, month: month, day: lastDay)
        }
    }

    /// The instant `time` on `day` in the rule's time zone. A time the spring change skips
    /// (02:30 in Paris) is read with the offset before it, so 03:30 on the clock; one the autumn
    /// change repeats is the first: as RFC 5545 and Python's zoneinfo read them.
    public func instant(on day: LocalDate) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = DateComponents(year: day.year, month: day.month, day: day.day, hour: time.hour, minute: time.minute)
        return calendar.date(from: parts)!
    }

    /// Whether occurrence `index` exists (the rule has not ended before it).
    public func contains(_ index: Int) -> Bool {
        // No rule reaches further (200 at most, or 5 years of weeks): an index from a request is
        // refused here before any arithmetic on it could overflow.
        guard (0..<Self.maxOccurrences).contains(index) else { return false }
        switch end {
        case .count(let count): return index < count
        case .until(let last): return day(index) <= last
        }
    }

    /// The start of occurrence `index`, nil past the rule's end.
    public func occurrence(_ index: Int) -> Date? {
        contains(index) ? instant(on: day(index)) : nil
    }

    /// How many occurrences the rule has in all.
    public var total: Int {
        switch end {
        case .count(let count): return count
        case .until:
            var index = 0
            while contains(index) { index += 1 }
            return index
        }
    }

    /// The index of the first occurrence that starts after `now`, nil when none is left.
    public func firstIndex(after now: Date) -> Int? {
        (0..<total).first { instant(on: day($0)) > now }
    }

    /// The rule cut before occurrence `index`, which the series that follows it takes over.
    public func ending(before index: Int) -> RecurrenceRule {
        RecurrenceRule(
            frequency: frequency, interval: interval, firstDate: firstDate, time: time, timeZone: timeZone,
            monthlyWeek: monthlyWeek, end: .count(index))
    }

    /// The RRULE value (RFC 5545 §3.3.10) that a calendar program expands with DTSTART;TZID to the
    /// same occurrences. UNTIL is the end of the last day in the rule's zone, in UTC, as the RFC
    /// requires beside a DTSTART with a TZID.
    public var rrule: String {
        let code = Self.weekdayCodes[firstDate.weekday]
        var parts: [String]
        switch frequency {
        case .weekly: parts = ["FREQ=WEEKLY", "INTERVAL=\(interval)", "BYDAY=\(code)"]
        case .monthly: parts = ["FREQ=MONTHLY", "INTERVAL=\(interval)", "BYDAY=\(monthlyWeek ?? 1)\(code)"]
        }
        switch end {
        case .count(let count): parts.append("COUNT=\(count)")
        case .until(let last):
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            let endOfDay = calendar.date(
                from: DateComponents(
                    year: last.year, month: last.month, day: last.day, hour: 23, minute: 59, second: 59))!
            var utc = Calendar(identifier: .gregorian)
            utc.timeZone = TimeZone(identifier: "UTC")!
            let p = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: endOfDay)
            parts.append(
                String(
                    format: "UNTIL=%04d%02d%02dT%02d%02d%02dZ", p.year!, p.month!, p.day!, p.hour!, p.minute!, p.second!
                ))
        }
        return parts.joined(separator: ";")
    }
}

/// How far ahead a series keeps real sessions.
public enum SeriesHorizon {
    /// The next four occurrences: a month of a weekly game, enough for members to answer and for
    /// the MJ to move or cancel one ahead, while a monthly one still shows a season; more would
    /// fill the partie's session list with far evenings nobody answers yet.
    public static let ahead = 4

    /// The highest index (exclusive) that must exist as sessions at `now`: the next `ahead`
    /// occurrences still to come, never past the rule's end.
    public static func materialisedThrough(_ rule: RecurrenceRule, now: Date) -> Int {
        guard let next = rule.firstIndex(after: now) else { return rule.total }
        return min(next + ahead, rule.total)
    }
}
