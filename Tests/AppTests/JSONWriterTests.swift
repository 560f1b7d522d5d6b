import EtrangeDomain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Responses written by `JSONWriter` are held to `JSONCoding.encoder`'s bytes for the same value,
/// so a client cannot tell which of the two wrote them.
@Suite struct JSONWriterTests {
    /// Every character class a name, a summary or the MJ's notes may hold: quotes, backslashes,
    /// slashes, every control character, DEL, accents (precomposed and combining), emoji, and the
    /// line separators JavaScript once refused in strings.
    static let alphabet: [String] =
        [
            "a", "Z", "7", " ", "\"", "\\", "/", "é", "e\u{301}", "ß", "🂡", "👩‍👩‍👧", "\u{7F}",
            "\u{2028}", "\u{2029}", "\u{FEFF}", "<", "&", "'",
        ]
        + (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }

    static func text(_ random: inout SplitMix64, upTo length: Int = 12) -> String {
        (0..<Int.random(in: 0...length, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined()
    }

    static func date(_ random: inout SplitMix64) -> String {
        JSONCoding.format(
            Date(timeIntervalSince1970: Double(Int.random(in: -2_000_000_000...5_000_000_000, using: &random))))
    }

    static func uuid(_ random: inout SplitMix64) -> String {
        let (high, low) = (random.next(), random.next())
        return withUnsafeBytes(of: (high, low)) { UUID(uuid: $0.load(as: uuid_t.self)) }.uuidString
    }

    /// A session as the API could send it, every optional field present or not, from the wire
    /// format, which is the only way the response is built outside a database row.
    static func session(_ random: inout SplitMix64) throws -> SessionResponse {
        func maybe(_ value: @autoclosure () -> Any) -> Any { Bool.random(using: &random) ? value() : NSNull() }
        var fields: [String: Any] = [
            "id": uuid(&random), "partie_id": Int.random(in: 1...Int(Int32.max), using: &random),
            "name": text(&random), "description": maybe(text(&random, upTo: 40)),
            "status": SessionStatus.allCases.randomElement(using: &random)!.rawValue,
            "scheduled_date": maybe(date(&random)), "started_at": maybe(date(&random)),
            "ended_at": maybe(date(&random)),
            "duration_minutes": maybe(Int.random(in: 0...100_000, using: &random)),
            "summary": maybe(text(&random, upTo: 80)),
            "key_events": maybe(
                (0..<Int.random(in: 0...3, using: &random)).map { _ in
                    ["event": text(&random), "timestamp": date(&random)]
                }),
            "character_developments": maybe(
                (0..<Int.random(in: 0...3, using: &random)).map { _ in
                    ["character_id": uuid(&random), "description": text(&random)]
                }),
            "max_players": Int.random(in: 1...20, using: &random), "allow_late_join": Bool.random(using: &random),
            "voice_channel_id": maybe(text(&random)), "card_values": text(&random),
            "created_at": date(&random), "updated_at": date(&random),
            "seated_players": Int.random(in: 0...20, using: &random),
            "online_count": Int.random(in: 0...21, using: &random),
            "can_join": Bool.random(using: &random), "is_mj": Bool.random(using: &random),
            "allowed_actions": SessionAction.allCases.filter { _ in Bool.random(using: &random) }.map(\.rawValue),
            "rsvp": [
                "yes": Int.random(in: 0...20, using: &random), "maybe": Int.random(in: 0...20, using: &random),
                "no": Int.random(in: 0...20, using: &random),
                "mine": maybe([
                    "answer": Availability.allCases.randomElement(using: &random)!.rawValue,
                    "comment": maybe(text(&random, upTo: 40)),
                ]),
            ],
        ]
        switch Int.random(in: 0..<3, using: &random) {
        case 0: break
        case 1: fields["notes"] = NSNull()
        default: fields["notes"] = text(&random, upTo: 40)
        }
        return try JSONCoding.decoder.decode(SessionResponse.self, from: JSONSerialization.data(withJSONObject: fields))
    }

    static func written(_ write: (inout JSONWriter) -> Void) -> String {
        var json = JSONWriter(capacity: 16)
        write(&json)
        return String(buffer: json.buffer)
    }

    static func encoded(_ value: some Encodable) throws -> String {
        String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self)
    }

    @Test func sessionsAreWrittenAsTheEncoderWritesThem() throws {
        var random = SplitMix64(seed: 0x5E55_1015)
        var notes = (absent: 0, null: 0, text: 0)
        for _ in 0..<2_000 {
            let session = try Self.session(&random)
            switch session.notes {
            case .none: notes.absent += 1
            case .some(.none): notes.null += 1
            case .some(.some): notes.text += 1
            }
            #expect(Self.written { session.write(to: &$0) } == (try Self.encoded(session)))
        }
        // Each way the MJ's notes can stand was met, the player's (absent) among them.
        #expect(notes.absent > 0 && notes.null > 0 && notes.text > 0)
    }

    @Test func pagesAreWrittenAsTheEncoderWritesThem() throws {
        var random = SplitMix64(seed: 0xBA6E)
        for count in [0, 1, 2, 20] {
            let items = try (0..<count).map { _ in try Self.session(&random) }
            let page = Page(items: items, metadata: PageMetadata(page: 3, per: 20, total: 40 + count))
            #expect(Self.written { SessionPage(page: page).write(to: &$0) } == (try Self.encoded(page)))
        }
    }

    @Test func stringsAreEscapedAsTheEncoderEscapesThem() throws {
        for scalar in (0...0x2FF).compactMap(UnicodeScalar.init) + ["\u{2028}", "\u{FFFF}", "\u{1F0A1}"] {
            let text = "a\(scalar)b\(scalar)"
            #expect(
                Self.written { $0.string(text) } == (try Self.encoded(text)), "U+\(String(scalar.value, radix: 16))")
        }
    }
}
