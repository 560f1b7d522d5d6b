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
}
