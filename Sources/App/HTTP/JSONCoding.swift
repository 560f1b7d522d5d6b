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
                    debugDescription:
                        "date invalide « \(text.prefix(40)) » : format ISO 8601 attendu, par exemple 2025-01-20T20:00:00Z."
                )
            }
            return date
        }
        return decoder
    }()

    /// Foundation's format style, seconds truncated. A formatter written by hand was tried for the
    /// hot paths and made no difference the benchmark could see (docs/benchmarks-history.md, fourth run).
    private static let dateStyle = Date.ISO8601FormatStyle.iso8601.year().month().day().dateSeparator(.dash)
        .time(includingFractionalSeconds: false).timeSeparator(.colon).timeZone(separator: .omitted)

    /// `2025-01-20T20:00:00Z`, as the encoder writes it, for what writes JSON without it.
    static func format(_ date: Date) -> String {
        date.formatted(dateStyle)
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
