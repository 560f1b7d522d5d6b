import Vapor

extension Request {
    /// The JSON body as `T`. The API speaks JSON only: another media type is a 415, a missing
    /// body a 400, rather than a form silently decoded without the API's key conventions.
    func json<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        guard let contentType = headers.contentType, contentType.type == "application",
            contentType.subType == "json" || contentType.subType.hasSuffix("+json")
        else {
            throw Abort(
                .unsupportedMediaType,
                reason: "Le corps de la requête doit être du JSON (Content-Type: application/json).")
        }
        guard let body = body.data, body.readableBytes > 0 else {
            throw AppError.invalid(field: "body", reason: "le corps de la requête est vide.")
        }
        return try JSONCoding.decoder.decode(T.self, from: body)
    }

    /// Whether the request carries a body at all, for endpoints where it is optional.
    var hasBody: Bool { (body.data?.readableBytes ?? 0) > 0 }
}
