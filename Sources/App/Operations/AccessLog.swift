import Vapor

/// One line per answered request: method, path, status and time taken. Path parameters that are
/// credentials (a calendar secret, an invitation code) are masked: a log is read by more people
/// than the tables they would open.
struct AccessLogMiddleware: AsyncMiddleware {
    static let secretParameters = ["secret", "code"]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next.respond(to: request)
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        request.logger.info("\(request.method) \(Self.maskedPath(of: request)) \(response.status.code)", metadata: [
            "status": .stringConvertible(response.status.code),
            "duration_ms": .string(String(format: "%.1f", milliseconds)),
        ])
        return response
    }

    static func maskedPath(of request: Request) -> String {
        var path = request.url.path
        for name in secretParameters {
            if let value = request.parameters.get(name), !value.isEmpty {
                path = path.replacingOccurrences(of: value, with: "…")
            }
        }
        return path
    }
}
