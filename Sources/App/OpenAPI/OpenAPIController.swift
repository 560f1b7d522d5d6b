import Foundation
import Vapor

/// Serves the OpenAPI document of the whole HTTP API. It is written by hand next to the code, and
/// a test checks that it lists exactly the routes the server registers.
struct OpenAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("openapi.json", use: document)
    }

    static let documentData: Data? = Bundle.module.url(forResource: "openapi", withExtension: "json")
        .flatMap { try? Data(contentsOf: $0) }

    func document(req: Request) async throws -> Response {
        guard let data = Self.documentData else {
            throw Abort(.internalServerError, reason: "OpenAPI document missing from the build.")
        }
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }
}
