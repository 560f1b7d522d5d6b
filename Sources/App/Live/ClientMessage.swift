import Foundation

/// What a client may say on the live channel, read from its `type`: `{"type":"active"}` when the
/// page saw a touch or a key, `{"type":"ping"}` to be answered `pong`. Any other text frame, or
/// one that is not JSON, is only a sign of life.
enum ClientMessage: String, Sendable {
    case active, ping

    private struct Frame: Decodable {
        let type: String
    }

    init?(_ text: String) {
        guard let frame = try? JSONDecoder().decode(Frame.self, from: Data(text.utf8)) else { return nil }
        self.init(rawValue: frame.type)
    }
}
