/// What a text field may weigh. Counting characters (grapheme clusters) alone is not a bound: one
/// character may carry any number of combining marks, so a 2,000-character chat line reached
/// 60 KB (one letter and 30,000 accents). The bytes, the marks on each character and, for the
/// columns PostgreSQL sizes in code points (`VARCHAR(n)`), the scalars are bounded too.
public struct TextBounds: Sendable, Equatable {
    /// Beyond four stacked accents a character only ever arrives by malice ("Zalgo" text).
    public static let marksPerCharacter = 4
    /// UTF-8 needs at most four bytes for a scalar: a field of n ordinary characters fits in 4n.
    public static let bytesPerCharacter = 4

    public var characters: ClosedRange<Int>
    public var bytes: Int
    /// Scalars the column holds (`VARCHAR(n)` counts them); nil for unbounded text columns.
    public var scalars: Int?

    public init(characters: ClosedRange<Int>, scalars: Int? = nil) {
        self.characters = characters
        self.bytes = characters.upperBound * Self.bytesPerCharacter
        self.scalars = scalars
    }

    public enum Violation: Sendable, Equatable {
        case tooShort(Int)
        case tooLong(Int)
        case tooManyBytes(Int)
        case tooManyScalars(Int)
        case tooManyMarks(Int)
        /// Control characters other than line breaks and tabs only ever arrive by accident or malice.
        case control
    }

    /// The first rule `text` breaks, cheapest first so that a huge value costs little.
    public func violation(in text: String) -> Violation? {
        if text.utf8.count > bytes { return .tooManyBytes(bytes) }
        if let scalars, text.unicodeScalars.count > scalars { return .tooManyScalars(scalars) }
        if text.unicodeScalars.contains(where: {
            $0.properties.generalCategory == .control && !"\n\r\t".unicodeScalars.contains($0)
        }) {
            return .control
        }
        let count = text.count
        if count < characters.lowerBound { return .tooShort(characters.lowerBound) }
        if count > characters.upperBound { return .tooLong(characters.upperBound) }
        if text.contains(where: { Self.marks(in: $0) > Self.marksPerCharacter }) {
            return .tooManyMarks(Self.marksPerCharacter)
        }
        return nil
    }

    /// Marks drawn over or around the base character (categories Mn and Me). Spacing marks (Mc)
    /// are letters' own vowel signs in Indic scripts and take room of their own.
    static func marks(in character: Character) -> Int {
        character.unicodeScalars.count { scalar in
            let category = scalar.properties.generalCategory
            return category == .nonspacingMark || category == .enclosingMark
        }
    }

    /// Characters that reorder the text around them (embeddings, overrides, isolates, marks): in a
    /// name they make « evil » display as « live » or push the rest of a list line around.
    public static let bidiControls: Set<Unicode.Scalar> = Set(
        [0x200E, 0x200F, 0x061C].compactMap(Unicode.Scalar.init)
            + (0x202A...0x202E).compactMap(Unicode.Scalar.init)
            + (0x2066...0x2069).compactMap(Unicode.Scalar.init))

    public static func removingBidiControls(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.filter { !bidiControls.contains($0) })
        return String(scalars)
    }
}
