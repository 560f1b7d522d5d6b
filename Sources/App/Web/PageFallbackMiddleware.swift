import Vapor

/// A browser that opens an address of the page without its `#` (`/parties/1`, typed or pasted
/// from an old link) gets the page, which finds its way from there, rather than the API's JSON
/// 404. Only for a GET that no route answers, outside `/api/`, from a client asking for HTML:
/// API clients keep their JSON.
struct PageFallbackMiddleware: AsyncMiddleware {
    let page: WebController

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch is RouteNotFound where Self.wantsPage(request) {
            return try await page.index(req: request)
        }
    }

    static func wantsPage(_ request: Request) -> Bool {
        let path = request.url.path
        guard request.method == .GET, path != "/api", !path.hasPrefix("/api/") else { return false }
        return request.headers.accept.contains { $0.mediaType == .html }
    }
}
