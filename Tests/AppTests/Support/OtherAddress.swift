import Foundation
import NIOHTTP1
import Testing

@testable import App

extension TestAPI {
    /// A request from another client address. The whole of 127.0.0.0/8 is loopback on Linux: a
    /// socket bound to 127.0.0.2 reaches the server as a different client, with no header the
    /// server would have to trust.
    func send(
        from address: String, _ method: HTTPMethod, _ path: String, token: String? = nil, json: Any,
        headers extra: [(String, String)] = []
    ) async throws -> APIResponse {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
        var request =
            "\(method.rawValue) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        for (name, value) in extra { request += "\(name): \(value)\r\n" }
        request += "\r\n" + body
        let port = URL(string: base)!.port!
        let raw = try await RawSocket.offCooperativePool { [request] in
            let socket = try BoundSocket(from: address, to: port)
            defer { close(socket.descriptor) }
            _ = request.withCString { write(socket.descriptor, $0, strlen($0)) }
            var received = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(socket.descriptor, &buffer, buffer.count)
                if count <= 0 { break }
                received += buffer[..<count]
            }
            return String(decoding: received, as: UTF8.self)
        }
        guard let split = raw.range(of: "\r\n\r\n") else { throw RawSocket.Failure() }
        let head = raw[..<split.lowerBound].split(separator: "\r\n")
        let code = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers = HTTPHeaders()
        for line in head.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 {
                headers.add(name: String(parts[0]), value: parts[1].trimmingCharacters(in: .whitespaces))
            }
        }
        return APIResponse(
            status: HTTPResponseStatus(statusCode: code), headers: headers, body: Data(raw[split.upperBound...].utf8))
    }
}

/// A loopback TCP connection whose own end is bound to `address`.
private struct BoundSocket {
    let descriptor: Int32

    init(from address: String, to port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(address)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        remote.sin_addr.s_addr = inet_addr("127.0.0.1")
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, size) }
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, size) }
        }
        guard bound == 0, connected == 0 else {
            close(descriptor)
            throw RawSocket.Failure()
        }
    }
}
