import Foundation

/// Writes RFC 5545 text: CRLF line ends, content lines folded at 75 octets, TEXT values escaped,
/// date-times in UTC.
struct ICalendar {
    private(set) var text = ""

    mutating func property(_ name: String, _ value: String) {
        text += Self.fold("\(name):\(value)") + "\r\n"
    }

    mutating func text(_ name: String, _ value: String) {
        property(name, Self.escape(value))
    }

    mutating func date(_ name: String, _ value: Date) {
        property(name, Self.utc(value))
    }

    static func escape(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case ";": escaped += "\\;"
            case ",": escaped += "\\,"
            case "\n", "\r\n": escaped += "\\n"
            case "\r": escaped += "\\n"
            default:
                // Other control characters are not allowed in TEXT.
                if let ascii = character.asciiValue, ascii < 0x20 && ascii != 0x09 { continue }
                escaped.append(character)
            }
        }
        return escaped
    }

    /// Splits a content line into lines of at most 75 octets, never inside a UTF-8 character;
    /// each continuation starts with a space, which counts in its 75.
    static func fold(_ line: String) -> String {
        var lines: [String] = []
        var current = ""
        var octets = 0
        for scalar in line.unicodeScalars {
            let size = String(scalar).utf8.count
            let limit = lines.isEmpty ? 75 : 74
            if octets + size > limit {
                lines.append(current)
                current = ""
                octets = 0
            }
            current.unicodeScalars.append(scalar)
            octets += size
        }
        lines.append(current)
        return lines.joined(separator: "\r\n ")
    }

    static func utc(_ date: Date) -> String {
        let parts = Calendar.utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d%02d%02dT%02d%02d%02dZ", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!,
            parts.second!)
    }
}

extension Calendar {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
