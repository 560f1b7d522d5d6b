import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IP address as bytes: what a webhook's host is or resolves to when it is checked, and the
/// peer a request comes from when the server decides whether to believe its X-Forwarded-For.
enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    /// Sixteen bytes, network order.
    case v6([UInt8])

    /// A literal as a careful client reads it: four decimal parts from 0 to 255 without leading
    /// zeros, or an IPv6 address. `inet_aton` also reads "127.1", "0x7f.1", "0177.0.0.1" or
    /// "2130706433" as 127.0.0.1; a check that does not read them so is bypassed by them, hence
    /// they are no literals here (and the address parser refuses them, see `WebhookTarget`).
    init?(literal text: String) {
        if text.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
            self = .v6(withUnsafeBytes(of: &address) { Array($0) })
            return
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCIIDigit),
                part.count == 1 || part.first != "0", let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        self = .v4(value)
    }

    var description: String {
        switch self {
        case .v4(let value):
            return [24, 16, 8, 0].map { String(value >> $0 & 0xFF) }.joined(separator: ".")
        case .v6(let bytes):
            var address = in6_addr()
            withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &address, &text, socklen_t(text.count)) != nil else { return "::" }
            return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Whether a webhook may go there: public unicast only. Everything else reaches the
    /// server's own machine, its networks, or nothing a receiver can sit on.
    var isPublic: Bool {
        switch self {
        case .v4(let value):
            return !Self.nonPublicV4.contains { network, length in value >> (32 - length) == network >> (32 - length) }
        case .v6(let bytes):
            // Forms that carry an IPv4 address reach that address: it decides.
            if let embedded = embeddedV4 { return embedded.isPublic }
            // Only global unicast (2000::/3): this leaves out ::1, ULA fc00::/7, link-local
            // fe80::/10, site-local fec0::/10, multicast ff00::/8, local NAT64 64:ff9b:1::/48…
            guard bytes[0] & 0xE0 == 0x20 else { return false }
            // …then, inside it, the IETF protocol block 2001::/23 (Teredo, benchmarking, ORCHID)
            // and the documentation ranges 2001:db8::/32 and 3fff::/20.
            if bytes[0] == 0x20, bytes[1] == 0x01, bytes[2] & 0xFE == 0 { return false }
            if bytes[0...3].elementsEqual([0x20, 0x01, 0x0D, 0xB8]) { return false }
            if bytes[0] == 0x3F, bytes[1] == 0xFF, bytes[2] & 0xF0 == 0 { return false }
            return true
        }
    }

    /// The IPv4 address inside an IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96, which
    /// holds :: and ::1), NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address.
    private var embeddedV4: IPAddress? {
        guard case .v6(let bytes) = self else { return nil }
        func v4(_ slice: ArraySlice<UInt8>) -> IPAddress { .v4(slice.reduce(0) { $0 << 8 | UInt32($1) }) }
        let zeros = bytes[0..<10].allSatisfy { $0 == 0 }
        if zeros, bytes[10] == 0xFF, bytes[11] == 0xFF { return v4(bytes[12..<16]) }
        if zeros, bytes[10] == 0, bytes[11] == 0 { return v4(bytes[12..<16]) }
        if bytes[0..<12].elementsEqual([0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]) { return v4(bytes[12..<16]) }
        if bytes[0] == 0x20, bytes[1] == 0x02 { return v4(bytes[2..<6]) }
        return nil
    }

    /// Networks (address, prefix length) no webhook goes to, from the IANA special-purpose registry.
    private static let nonPublicV4: [(UInt32, UInt32)] = [
        (0x0000_0000, 8),  // 0.0.0.0/8, "this network"
        (0x0A00_0000, 8),  // 10/8, private
        (0x6440_0000, 10),  // 100.64/10, carrier-grade NAT
        (0x7F00_0000, 8),  // 127/8, loopback
        (0xA9FE_0000, 16),  // 169.254/16, link-local (cloud metadata)
        (0xAC10_0000, 12),  // 172.16/12, private
        (0xC000_0000, 24),  // 192.0.0/24, IETF protocol assignments
        (0xC000_0200, 24),  // 192.0.2/24, documentation
        (0xC058_6300, 24),  // 192.88.99/24, 6to4 relays
        (0xC0A8_0000, 16),  // 192.168/16, private
        (0xC612_0000, 15),  // 198.18/15, benchmarking
        (0xC633_6400, 24),  // 198.51.100/24, documentation
        (0xCB00_7100, 24),  // 203.0.113/24, documentation
        (0xE000_0000, 4),  // 224/4, multicast
        (0xF000_0000, 4),  // 240/4, reserved, and 255.255.255.255
    ]
}

extension Swift.Character {
    /// 0 to 9 only: `isWholeNumber` alone also takes other scripts' digits.
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
