import Foundation
import NIOCore

/// JSON written straight into a response's buffer, for the hot paths whose encoding with
/// `JSONEncoder` was a sixth of their time (its intermediate tree and the snake_case conversion of
/// every key; docs/benchmarks-history.md). The output is byte for byte what `JSONCoding.encoder` writes for the
/// same value: keys are given already in snake_case and sorted, and strings are escaped as
/// Foundation escapes them. `JSONWriterTests` holds each writer to its `Encodable` twin.
struct JSONWriter {
    private(set) var buffer: ByteBuffer
    /// Whether the next member or element needs a comma before it.
    private var needsComma = false

    init(capacity: Int = 1024) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    mutating func object(_ body: (inout JSONWriter) throws -> Void) rethrows {
        separate()
        buffer.writeInteger(UInt8(ascii: "{"))
        needsComma = false
        try body(&self)
        buffer.writeInteger(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func array<Element>(_ elements: [Element], _ write: (inout JSONWriter, Element) throws -> Void) rethrows {
        separate()
        buffer.writeInteger(UInt8(ascii: "["))
        needsComma = false
        for element in elements { try write(&self, element) }
        buffer.writeInteger(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A member's name: a constant in snake_case, which needs no escaping.
    mutating func key(_ name: StaticString) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(name)
        buffer.writeStaticString("\":")
        needsComma = false
    }

    mutating func null() {
        separate()
        buffer.writeStaticString("null")
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        separate()
        buffer.writeStaticString(value ? "true" : "false")
        needsComma = true
    }

    mutating func int(_ value: Int) {
        separate()
        buffer.writeString(String(value))
        needsComma = true
    }

    mutating func string(_ value: String) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { Self.escape($0, into: &buffer) }
        buffer.writeInteger(UInt8(ascii: "\""))
        needsComma = true
    }

    /// As `JSONCoding.encoder` writes identifiers: upper-case, with dashes.
    mutating func uuid(_ value: UUID) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeString(value.uuidString)
        buffer.writeInteger(UInt8(ascii: "\""))
        needsComma = true
    }

    mutating func date(_ value: Date) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeString(JSONCoding.format(value))
        buffer.writeInteger(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Null, or the value as `write` puts it.
    mutating func optional<Value>(_ value: Value?, _ write: (inout JSONWriter, Value) -> Void) {
        if let value { write(&self, value) } else { null() }
    }

    private mutating func separate() {
        if needsComma { buffer.writeInteger(UInt8(ascii: ",")) }
    }

    /// Runs of plain bytes are copied whole; a quote, a backslash and the control characters are
    /// escaped as Foundation does (`\n`-style where JSON has a short form, `\u00XX` otherwise).
    /// Slashes stay as they are (`withoutEscapingSlashes`), and so does everything above U+001F.
    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func escape(_ bytes: UnsafeBufferPointer<UInt8>, into buffer: inout ByteBuffer) {
        var start = 0
        for index in bytes.indices {
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<index])))
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 0x08: buffer.writeStaticString("\\b")
            case 0x0C: buffer.writeStaticString("\\f")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0D: buffer.writeStaticString("\\r")
            case 0x09: buffer.writeStaticString("\\t")
            default:
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hexDigits[Int(byte >> 4)])
                buffer.writeInteger(hexDigits[Int(byte & 0x0F)])
            }
            start = index + 1
        }
        buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start...])))
    }
}
