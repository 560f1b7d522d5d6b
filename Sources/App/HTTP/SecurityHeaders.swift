import Vapor

/// Headers every answer carries, errors included, so that a browser treats the page and the API
/// as strictly as they were written: the page loads nothing but its own files (no inline script
/// exists, so none is allowed), is never framed, never has its type guessed, and never tells
/// another site the address it came from (an invitation link carries its code).
struct SecurityHeadersMiddleware: AsyncMiddleware {
    /// `blob:` and `data:` images: the invitation's QR code is shown from a blob of the SVG the
    /// API returns, and the page's empty icon is a `data:` URL. `blob:` connections: an export
    /// is offered as a blob the page made itself, which it may read back.
    static let contentSecurityPolicy = [
        "default-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ].joined(separator: "; ")

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        let headers = response.headers
        var added = HTTPHeaders()
        added.add(name: "Content-Security-Policy", value: Self.contentSecurityPolicy)
        added.add(name: "X-Content-Type-Options", value: "nosniff")
        added.add(name: "X-Frame-Options", value: "DENY")
        added.add(name: "Referrer-Policy", value: "no-referrer")
        // Only an answer that travelled over HTTPS may promise it for the future: a browser
        // ignores the header over plain HTTP, and a host still trying the server without TLS
        // must not be locked out of it. No includeSubDomains: the host's other names are not ours.
        if request.cameOverHTTPS {
            added.add(name: .strictTransportSecurity, value: "max-age=31536000")
        }
        // An API answer is one person's view of a partie: no shared cache, nor the browser's
        // back button, may keep it. Answers that chose their own caching (the calendar feed) keep it.
        if request.url.path.hasPrefix("/api/"), !headers.contains(name: .cacheControl) {
            added.add(name: .cacheControl, value: "no-store")
        }
        for (name, value) in added where !headers.contains(name: name) {
            response.headers.add(name: name, value: value)
        }
        return response
    }
}
