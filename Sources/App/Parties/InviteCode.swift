import Fluent
import Foundation

/// Invitation codes: short enough to type from a screen, drawn from a CSPRNG, without the
/// characters people confuse (0/O, 1/I/L).
enum InviteCode {
    static let alphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
    static let length = 8

    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// What a person typed, the way codes are stored: upper case, without spaces or dashes.
    static func normalize(_ typed: String) -> String {
        typed.uppercased().filter { !$0.isWhitespace && $0 != "-" }
    }

    /// What was typed or scanned, or nil when it cannot be a code: empty, or too long (counted in
    /// bytes: one character may carry thousands of combining marks). A UUID is the mobile app's
    /// QR code of an imported partie.
    static func read(_ typed: String) -> Invitation? {
        if let uuid = UUID(uuidString: typed.trimmingCharacters(in: .whitespacesAndNewlines)) {
            return .legacy(uuid)
        }
        let code = normalize(typed)
        guard !code.isEmpty, code.utf8.count <= 16 else { return nil }
        return .code(code)
    }
}

/// A code that opens a partie: its own, or the one its QR code carried in the mobile app.
enum Invitation: Sendable, Equatable {
    case code(String)
    case legacy(UUID)
}

extension QueryBuilder where Model == Partie {
    /// The partie `invitation` opens.
    func filter(_ invitation: Invitation) -> Self {
        switch invitation {
        case .code(let code): filter(\.$inviteCode == code)
        case .legacy(let uuid): filter(\.$legacyInvite == uuid)
        }
    }
}
