import Foundation

/// Checks for request fields; each failure names the field in the API's spelling.
enum Check {
    /// Trims `value` and requires `range` characters; control characters other than line breaks
    /// and tabs are refused, since they only ever arrive by accident or malice.
    static func text(_ value: String, field: String, length range: ClosedRange<Int>) throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count >= range.lowerBound else {
            throw AppError.invalid(field: field, reason: range.lowerBound <= 1
                ? "ne doit pas être vide."
                : "doit contenir au moins \(range.lowerBound) caractères.")
        }
        guard trimmed.count <= range.upperBound else {
            throw AppError.invalid(field: field, reason: "doit contenir au plus \(range.upperBound) caractères.")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !"\n\r\t".unicodeScalars.contains($0) }) else {
            throw AppError.invalid(field: field, reason: "contient des caractères de contrôle.")
        }
        return trimmed
    }

    /// Like `text`, but an absent or blank value means "none".
    static func optionalText(_ value: String?, field: String, maxLength: Int) throws -> String? {
        guard let value, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        return try text(value, field: field, length: 1...maxLength)
    }

    static func integer(_ value: Int, field: String, in range: ClosedRange<Int>) throws -> Int {
        guard range.contains(value) else {
            throw AppError.invalid(field: field, reason: "doit être compris entre \(range.lowerBound) et \(range.upperBound).")
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
