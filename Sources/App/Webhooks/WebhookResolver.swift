import Foundation
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns a webhook's host name into addresses, at delivery time: what the name meant when the
/// MJ saved it proves nothing about what it means now.
protocol WebhookResolver: Sendable {
    /// Every address the name has; the delivery is refused if any of them is not public.
    func addresses(of name: String) async throws -> [IPAddress]
}

/// The system's resolver (`getaddrinfo`: /etc/hosts, DNS…), on NIO's thread pool because it
/// blocks.
struct SystemWebhookResolver: WebhookResolver {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func addresses(of name: String) async throws -> [IPAddress] {
        try await NIOThreadPool.singleton.runIfActive { try Self.lookUp(name) }
    }

    private static func lookUp(_ name: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
            hints.ai_socktype = SOCK_STREAM
        #else
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, nil, &hints, &list)
        guard status == 0 else { throw Failure(description: "getaddrinfo: \(String(cString: gai_strerror(status)))") }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var cursor = list
        while let info = cursor?.pointee {
            defer { cursor = info.ai_next }
            guard let socketAddress = info.ai_addr else { continue }
            switch info.ai_family {
            case AF_INET:
                let raw = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    $0.pointee.sin_addr.s_addr
                }
                addresses.append(.v4(UInt32(bigEndian: raw)))
            case AF_INET6:
                var raw = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                addresses.append(.v6(withUnsafeBytes(of: &raw) { Array($0) }))
            default:
                continue
            }
        }
        guard !addresses.isEmpty else { throw Failure(description: "getaddrinfo: no address") }
        return addresses
    }
}
