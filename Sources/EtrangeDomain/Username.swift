import Foundation

/// The rules a username follows so that nobody can pass for somebody else: one writing system
/// per name, and no name that looks like an existing one (`mjа` with a Cyrillic а beside `mja`).
public enum Username {
    public static let bounds = TextBounds(characters: 3...32, scalars: 32)

    public enum Refusal: Sendable, Equatable {
        case bounds(TextBounds.Violation)
        /// Only letters, digits, « _ », « . » and « - ».
        case characters
        case mixedScripts([String])
    }

    /// What is stored and shown: trimmed and in compatibility composition (NFKC), so that
    /// full-width letters, ligatures and decomposed accents become the plain characters they show.
    public static func normalized(_ raw: String) -> String {
        raw.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCompatibilityMapping
    }

    /// Why a normalized name is refused, or nil.
    public static func refusal(_ name: String) -> Refusal? {
        if let violation = bounds.violation(in: name) { return .bounds(violation) }
        guard name.unicodeScalars.allSatisfy(allowed.contains) else { return .characters }
        let scripts = Set(name.unicodeScalars.compactMap(script(of:)))
        guard scripts.count <= 1 || allowedMixtures.contains(where: scripts.isSubset(of:)) else {
            return .mixedScripts(scripts.sorted())
        }
        return nil
    }

    static let allowed = CharacterSet.letters.union(.decimalDigits).union(CharacterSet(charactersIn: "_.-"))

    /// Scripts that are written together: Japanese mixes kanji and both kana, Korean hangul and hanja.
    static let allowedMixtures: [Set<String>] = [
        ["Han", "Hiragana", "Katakana"], ["Han", "Hangul"], ["Han", "Bopomofo"],
    ]

    /// The writing system of a letter or digit; nil for what all scripts share (ASCII digits,
    /// punctuation) and for combining marks, which take their base's.
    public static func script(of scalar: Unicode.Scalar) -> String? {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return nil
        default: break
        }
        let value = scalar.value
        if value < 0x80 { return scalar.properties.isAlphabetic ? "Latin" : nil }
        for (range, name) in scriptRanges where range.contains(value) { return name }
        // A script this table does not know is still one script: its 128-scalar block stands for it.
        return "U+" + String(value & ~0x7F, radix: 16, uppercase: true)
    }

    /// Blocks of the scripts people are likely to write names in (Unicode's Scripts.txt, coarsely).
    static let scriptRanges: [(ClosedRange<UInt32>, String)] = [
        (0x00C0...0x024F, "Latin"), (0x0250...0x02AF, "Latin"), (0x1D00...0x1DBF, "Latin"),
        (0x1E00...0x1EFF, "Latin"), (0x2C60...0x2C7F, "Latin"), (0xA720...0xA7FF, "Latin"),
        (0xAB30...0xAB6F, "Latin"), (0xFF21...0xFF5A, "Latin"),
        (0x0370...0x03FF, "Greek"), (0x1F00...0x1FFF, "Greek"),
        (0x0400...0x052F, "Cyrillic"), (0x1C80...0x1C8F, "Cyrillic"), (0x2DE0...0x2DFF, "Cyrillic"),
        (0xA640...0xA69F, "Cyrillic"),
        (0x0530...0x058F, "Armenian"), (0x0590...0x05FF, "Hebrew"),
        (0x0600...0x06FF, "Arabic"), (0x0750...0x077F, "Arabic"), (0x08A0...0x08FF, "Arabic"),
        (0xFB50...0xFDFF, "Arabic"), (0xFE70...0xFEFF, "Arabic"),
        (0x0900...0x097F, "Devanagari"), (0x0980...0x09FF, "Bengali"), (0x0A00...0x0A7F, "Gurmukhi"),
        (0x0A80...0x0AFF, "Gujarati"), (0x0B00...0x0B7F, "Oriya"), (0x0B80...0x0BFF, "Tamil"),
        (0x0C00...0x0C7F, "Telugu"), (0x0C80...0x0CFF, "Kannada"), (0x0D00...0x0D7F, "Malayalam"),
        (0x0E00...0x0E7F, "Thai"), (0x0E80...0x0EFF, "Lao"), (0x0F00...0x0FFF, "Tibetan"),
        (0x10A0...0x10FF, "Georgian"), (0x1C90...0x1CBF, "Georgian"), (0x1200...0x139F, "Ethiopic"),
        (0x13A0...0x13FF, "Cherokee"),
        (0x1100...0x11FF, "Hangul"), (0x3130...0x318F, "Hangul"), (0xAC00...0xD7AF, "Hangul"),
        (0x3040...0x309F, "Hiragana"), (0x30A0...0x30FF, "Katakana"), (0x31F0...0x31FF, "Katakana"),
        (0x3100...0x312F, "Bopomofo"),
        (0x3400...0x4DBF, "Han"), (0x4E00...0x9FFF, "Han"), (0xF900...0xFAFF, "Han"), (0x20000...0x3134F, "Han"),
    ]

    /// The form two names share when they look alike: compatibility-composed, Greek and Cyrillic
    /// letters that look Latin replaced by those, case and accents dropped (« Élise » is « elise »),
    /// 0 as o, 1 and a capital I as l, « rn » as m. Two accounts never share one; the database's
    /// unique index on it decides between simultaneous registrations.
    public static func skeleton(_ name: String) -> String {
        var shaped = String.UnicodeScalarView()
        for scalar in name.precomposedStringWithCompatibilityMapping.unicodeScalars {
            shaped.append(contentsOf: (capitalLookalikes[scalar] ?? String(scalar)).unicodeScalars)
        }
        let folded = String(shaped).folding(
            options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
        var skeleton = String.UnicodeScalarView()
        for scalar in folded.unicodeScalars {
            skeleton.append(contentsOf: (smallLookalikes[scalar] ?? String(scalar)).unicodeScalars)
        }
        return String(skeleton).replacingOccurrences(of: "rn", with: "m")
    }

    /// Capitals whose look is lost once folded to lower case (a Greek Η is an H, its η an n).
    static let capitalLookalikes: [Unicode.Scalar: String] = lookalikes([
        "I": "l",
        "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "l", "Κ": "k", "Μ": "m", "Ν": "n",
        "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
        "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c",
        "Т": "t", "Х": "x", "У": "y", "Ѕ": "s", "І": "l", "Ј": "j", "Ү": "y", "Ӏ": "l",
    ])

    static let smallLookalikes: [Unicode.Scalar: String] = lookalikes([
        "0": "o", "1": "l", "ı": "i", "ɩ": "i", "ɡ": "g",
        "α": "a", "ο": "o", "ρ": "p", "ν": "v", "ι": "i", "κ": "k", "υ": "u", "χ": "x",
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
        "ѕ": "s", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ү": "y", "к": "k",
    ])

    private static func lookalikes(_ pairs: [Character: String]) -> [Unicode.Scalar: String] {
        Dictionary(uniqueKeysWithValues: pairs.map { ($0.key.unicodeScalars.first!, $0.value) })
    }
}
