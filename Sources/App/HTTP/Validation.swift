import EtrangeDomain
import Foundation

/// Checks for request fields; each failure names the field in the API's spelling.
enum Check {
    /// Trims `value`, composes its accents (NFC) and requires `range` characters, within the
    /// bytes, marks and, where the column counts them (`scalars`), code points of `TextBounds`.
    static func text(_ value: String, field: String, length range: ClosedRange<Int>, scalars: Int? = nil) throws
        -> String
    {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping
        if let violation = TextBounds(characters: range, scalars: scalars).violation(in: trimmed) {
            throw AppError.invalid(field: field, reason: reason(violation))
        }
        return trimmed
    }

    /// Like `text`, but an absent or blank value means "none".
    static func optionalText(_ value: String?, field: String, maxLength: Int, scalars: Int? = nil) throws -> String? {
        guard let value, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        return try text(value, field: field, length: 1...maxLength, scalars: scalars)
    }

    static func reason(_ violation: TextBounds.Violation) -> String {
        switch violation {
        case .tooShort(let minimum):
            minimum <= 1 ? "ne doit pas être vide." : "doit contenir au moins \(minimum) caractères."
        case .tooLong(let maximum): "doit contenir au plus \(maximum) caractères."
        case .tooManyBytes(let maximum): "doit tenir en \(maximum) octets au plus (UTF-8)."
        case .tooManyScalars(let maximum):
            "doit tenir en \(maximum) points de code Unicode au plus (chaque accent combiné compte)."
        case .tooManyMarks(let maximum): "\(maximum) accents ou signes combinés au plus sur un même caractère."
        case .control: "contient des caractères de contrôle."
        }
    }

    static func integer(_ value: Int, field: String, in range: ClosedRange<Int>) throws -> Int {
        guard range.contains(value) else {
            throw AppError.invalid(
                field: field, reason: "doit être compris entre \(range.lowerBound) et \(range.upperBound).")
        }
        return value
    }

    /// Dates a person could mean: between year 1900 and 2200.
    static func date(_ value: Date, field: String) throws -> Date {
        let earliest = Date(timeIntervalSince1970: -2_208_988_800)
        let latest = Date(timeIntervalSince1970: 7_258_118_400)
        guard value >= earliest, value <= latest else {
            throw AppError.invalid(field: field, reason: "date hors des limites raisonnables (1900–2200).")
        }
        return value
    }
}
