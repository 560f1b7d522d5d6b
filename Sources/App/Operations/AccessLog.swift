import Vapor

/// One line per answered request: method, path, status and time taken, with the client's address
/// and scheme as a trusted proxy reports them (`ETRANGE_TRUSTED_PROXIES`). Path parameters that
/// are credentials (a calendar secret, an invitation code) are masked: a log is read by more people
/// than the tables they would open.
struct AccessLogMiddleware: AsyncMiddleware {
    static let secretParameters = ["secret", "code"]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next.respond(to: request)
        let elapsed = ContinuousClock.now - start
        request.logger.info(
            "\(request.method) \(Self.maskedPath(of: request)) \(response.status.code)",
            metadata: [
                "status": .stringConvertible(response.status.code),
                "duration_ms": .string(Self.milliseconds(elapsed)),
                "client": .string(request.clientAddress),
                "scheme": .string(request.cameOverHTTPS ? "https" : "http"),
            ])
        return response
    }

    /// `12.3`: tenths of a millisecond, rounded, written without `String(format:)`, which costs
    /// more than many a request it would describe.
    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let tenths = seconds * 10_000 + (attoseconds + 50_000_000_000_000) / 100_000_000_000_000
        return "\(tenths / 10).\(tenths % 10)"
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
