/// The kinds of file an MJ may hand out, recognised by what the bytes are, never by a name or a
/// declared type.
public enum HandoutKind: String, Sendable, Codable, CaseIterable {
    case png, jpeg, webp, pdf

    /// The kind the file's first bytes announce, if any. A claim only: the file still has to decode
    /// as that kind (`CImage`) before it is kept. PDF readers accept `%PDF-` further in; this does
    /// not, so an HTML or ZIP file with a PDF hidden inside is not a PDF here.
    public init?(sniffing bytes: some Collection<UInt8>) {
        let head = Array(bytes.prefix(12))
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + magic.count && Array(head[offset..<offset + magic.count]) == magic
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if starts([0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) {
            self = .webp
        } else if starts(Array("%PDF-".utf8)) {
            self = .pdf
        } else {
            return nil
        }
    }

    public var contentType: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .webp: "image/webp"
        case .pdf: "application/pdf"
        }
    }

    public var isImage: Bool { self != .pdf }
}

/// Who sees a handout once the MJ shows it: the whole partie (members who join later included), or
/// the players the MJ chose. The MJ always sees their own handouts, shown or not.
public enum HandoutAudience: Sendable, Equatable {
    case nobody
    case everyone
    case chosen(Set<Int>)

    public func shows(to userID: Int, isMJ: Bool) -> Bool {
        if isMJ { return true }
        switch self {
        case .nobody: return false
        case .everyone: return true
        case .chosen(let people): return people.contains(userID)
        }
    }
}

/// The bounds of an upload.
public struct HandoutLimits: Sendable, Equatable {
    public var maxBytes: Int
    /// Pixels are decoded in memory: a small file can claim a huge picture (a decompression bomb).
    public var maxPixels: Int

    public static let titleLength = 1...120
    public static let captionLength = 0...1_000

    public init(maxBytes: Int = 8 * 1024 * 1024, maxPixels: Int = 40_000_000) {
        self.maxBytes = maxBytes
        self.maxPixels = maxPixels
    }
}
