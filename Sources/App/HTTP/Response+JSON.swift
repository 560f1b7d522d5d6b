import Vapor

/// Answers whose JSON is already written: by `JSONWriter`, or as the event that journals the change.
extension Response {
    static func json(_ json: JSONWriter) -> Response {
        let response = Response(status: .ok, body: .init(buffer: json.buffer))
        response.headers.contentType = .json
        return response
    }

    /// `text` is `JSONCoding`'s encoding of the answer, made once for the change's event.
    static func json(_ text: String, status: HTTPStatus) -> Response {
        let response = Response(status: status, body: .init(string: text))
        response.headers.contentType = .json
        return response
    }
}
