import Foundation

/// A field of a partial update: left out, set to null, or given a value.
enum Patch<Value: Decodable & Sendable>: Sendable {
    case absent, null
    case value(Value)

    /// Whether the body names the field, even as null.
    var isSent: Bool {
        if case .absent = self { return false }
        return true
    }

    /// The value, or nil when cleared; only called when the field was sent.
    var newValue: Value? {
        if case .value(let value) = self { return value }
        return nil
    }
}

extension KeyedDecodingContainer {
    /// `decodeIfPresent` reads a missing key and a null alike; a partial update must tell them apart.
    func patch<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Patch<Value> {
        guard contains(key) else { return .absent }
        if try decodeNil(forKey: key) { return .null }
        return .value(try decode(Value.self, forKey: key))
    }
}
