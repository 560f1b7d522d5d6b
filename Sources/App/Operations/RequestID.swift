import Vapor

/// Gives every answer an `X-Request-Id` and every log line of the request the same id. A
/// client's own id is kept when it is reasonable (to follow a request from the phone to the
/// server's logs); anything else, which would end up verbatim in the logs, is replaced.
struct RequestIDMiddleware: AsyncMiddleware {
    static func isAcceptable(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == 0x2D || byte == 0x2E || byte == 0x5F
            }
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        var id = request.id
        if !Self.isAcceptable(id) {
            id = UUID().uuidString
            request.logger[metadataKey: "request-id"] = .string(id)
        }
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: .xRequestId, value: id)
        return response
    }
}
