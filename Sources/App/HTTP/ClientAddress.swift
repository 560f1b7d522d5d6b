import Vapor

/// The proxies whose `X-Forwarded-For` the server believes (`ETRANGE_TRUSTED_PROXIES`): addresses
/// or networks such as `127.0.0.1`, `10.0.0.0/8` or `fd00::/8`.
public struct TrustedProxies: Sendable, Equatable {
    struct Network: Sendable, Equatable {
        let address: IPAddress
        let length: Int

        func contains(_ other: IPAddress) -> Bool {
            switch (address, other) {
            case (.v4(let network), .v4(let value)):
                return length == 0 || network >> (32 - length) == value >> (32 - length)
            case (.v6(let network), .v6(let value)):
                let whole = length / 8
                guard network[0..<whole] == value[0..<whole] else { return false }
                let rest = length % 8
                guard rest > 0 else { return true }
                let mask = UInt8(0xFF) << (8 - rest)
                return network[whole] & mask == value[whole] & mask
            default:
                return false
            }
        }
    }

    let networks: [Network]

    public static let none = TrustedProxies(networks: [])

    init(networks: [Network]) {
        self.networks = networks
    }

    /// Reads `127.0.0.1, 10.0.0.0/8, ::1`; nil when a part is neither an address nor a network.
    public init?(list: String) {
        var networks: [Network] = []
        for part in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            let pieces = part.split(separator: "/", maxSplits: 1).map(String.init)
            guard let address = IPAddress(literal: pieces[0]) else { return nil }
            let bits = if case .v4 = address { 32 } else { 128 }
            let length = pieces.count == 2 ? Int(pieces[1]) : bits
            guard let length, (0...bits).contains(length) else { return nil }
            networks.append(Network(address: address, length: length))
        }
        self.networks = networks
    }

    func contains(_ address: IPAddress) -> Bool {
        networks.contains { $0.contains(address) }
    }
}

extension Request {
    /// The peer's address when it is a proxy listed in `ETRANGE_TRUSTED_PROXIES`: only such a peer
    /// may tell the server about the client (`X-Forwarded-For`, `X-Forwarded-Proto`).
    private var trustedProxyPeer: IPAddress? {
        let trusted = application.config.trustedProxies
        guard !trusted.networks.isEmpty, let peer = remoteAddress?.ipAddress,
            let address = IPAddress(literal: peer), trusted.contains(address)
        else { return nil }
        return address
    }

    /// The client's address: the peer's, or, when the peer is a trusted proxy, the nearest
    /// address in `X-Forwarded-For` that is not one, read from the right, since only what trusted
    /// proxies appended can be believed: a client writes whatever it likes at the left.
    var clientAddress: String {
        guard let peer = remoteAddress?.ipAddress else { return "unknown" }
        guard trustedProxyPeer != nil else { return peer }
        let trusted = application.config.trustedProxies
        let hops = headers[.xForwardedFor].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var nearest = peer
        for hop in hops.reversed() {
            guard let address = IPAddress(literal: hop) else { return nearest }
            nearest = address.description
            if !trusted.contains(address) { return nearest }
        }
        return nearest
    }

    /// Whether the client reached us over HTTPS. The server itself speaks plain HTTP, so only a
    /// trusted proxy that terminated TLS can say so, with `X-Forwarded-Proto: https`; the last
    /// value counts, the one that proxy wrote. From anyone else the header means nothing.
    var cameOverHTTPS: Bool {
        guard trustedProxyPeer != nil,
            let said = headers[.xForwardedProto].flatMap({ $0.split(separator: ",") }).last
        else { return false }
        return said.trimmingCharacters(in: .whitespaces).lowercased() == "https"
    }
}
