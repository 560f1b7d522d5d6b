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
            let socket = try RawSocket(port: port, from: address, timeout: 30)
            defer { socket.close() }
            socket.write(request)
            return socket.readAll()
        }
        return try APIResponse(raw: raw)
    }
}
