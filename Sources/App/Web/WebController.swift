import Vapor

/// The web interface: static files under `Public/`, and the one page that also answers the
/// addresses people open from outside (the invitation links of the QR codes).
struct WebController: RouteCollection {
    let publicDirectory: String

    func boot(routes: any RoutesBuilder) throws {
        routes.get(use: index)
        routes.get("invitation", ":code", use: index)
    }

    func index(req: Request) async throws -> Response {
        let response = try await req.fileio.asyncStreamFile(at: publicDirectory + "index.html")
        response.headers.cacheControl = .init(noCache: true)
        return response
    }
}
