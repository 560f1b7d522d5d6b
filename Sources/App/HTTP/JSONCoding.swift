import Foundation
import Vapor

/// The API's JSON conventions: snake_case keys and ISO 8601 dates in UTC, read leniently
/// (fractional seconds, offsets) and written strictly (`2025-01-20T20:00:00Z`).
enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(format(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "date invalide « \(text.prefix(40)) » : format ISO 8601 attendu, par exemple 2025-01-20T20:00:00Z."
                )
            }
            return date
        }
        return decoder
    }()

    /// What `format` writes, in Foundation's words: its fallback, and its test's reference.
    static let foundationStyle = Date.ISO8601FormatStyle.iso8601.year().month().day().dateSeparator(.dash)
        .time(includingFractionalSeconds: false).timeSeparator(.colon).timeZone(separator: .omitted)

    /// `2025-01-20T20:00:00Z`, the second truncated. Written by hand for the hot paths (six dates per
    /// session listed, one per live event), where Foundation's format style was 0.9 % of the session
    /// list's time (BENCHMARKS.md). Foundation's calendar is Julian before 15 October 1582, and its
    /// parser reads those dates so: they go to Foundation, as do years past 9999 (a fifth digit).
    static func format(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        guard seconds >= -12_219_292_800, seconds < 253_402_300_800 else {
            return date.formatted(foundationStyle)
        }
        let total = Int(seconds)
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let time = total - days * 86_400
        let (year, month, day) = civil(daysSinceEpoch: days)
        return String(unsafeUninitializedCapacity: 20) { buffer in
            func put(_ value: Int, digits: Int, at start: Int) {
                var value = value
                for index in stride(from: start + digits - 1, through: start, by: -1) {
                    buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, digits: 4, at: 0)
            put(month, digits: 2, at: 5)
            put(day, digits: 2, at: 8)
            put(time / 3600, digits: 2, at: 11)
            put(time / 60 % 60, digits: 2, at: 14)
            put(time % 60, digits: 2, at: 17)
            for (index, separator) in [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "Z")] as [(Int, Unicode.Scalar)] {
                buffer[index] = UInt8(ascii: separator)
            }
            return 20
        }
    }

    /// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
    /// `civil_from_days`: 400-year eras of 146,097 days, years starting in March).
    private static func civil(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Accepts `2025-01-20T20:00:00Z`, with fractional seconds, and with a numeric offset.
    static func parse(_ text: String) -> Date? {
        guard text.count <= 40, dayExists(in: text) else { return nil }
        let strategies: [Date.ISO8601FormatStyle] = [
            .iso8601,
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted),
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .colon),
            .iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .colon),
        ]
        for strategy in strategies {
            if let date = try? Date(text, strategy: strategy) { return date }
        }
        return nil
    }

    /// Foundation's parser rolls impossible days over (30 February becomes 2 March); a date
    /// nobody could mean is refused instead.
    private static func dayExists(in text: String) -> Bool {
        let parts = text.prefix(10).split(separator: "-")
        guard parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else {
            return false
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return DateComponents(calendar: calendar, year: year, month: month, day: day).isValidDate
    }

    static func snakeCase(_ key: String) -> String {
        var result = ""
        for character in key {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "texte"
        case is Int.Type, is Int64.Type: "entier"
        case is Double.Type: "nombre"
        case is Bool.Type: "booléen"
        case is Date.Type: "date ISO 8601"
        case is UUID.Type: "UUID"
        default:
            String(describing: type).contains("Array") ? "tableau" : "objet"
        }
    }
}
