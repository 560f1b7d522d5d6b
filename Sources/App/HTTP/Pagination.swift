import Fluent
import Vapor

/// `?page=&per=` as every list of the API reads it, at most 100 items a page. Fluent's own reading
/// (`req.query.decode(PageRequest.self)` and `paginate(for:)`) clamps what is out of bounds without
/// a word; the API refuses it with a 400 naming the field.
extension PageRequest {
    static let maxPer = 100
    /// Far beyond any real list, and small enough that the offset never overflows.
    static let maxPage = 100_000

    init(_ request: Request, defaultPer: Int = 20) throws {
        let page = try Self.read("page", from: request) ?? 1
        let per = try Self.read("per", from: request) ?? defaultPer
        guard (1...Self.maxPage).contains(page) else {
            throw AppError.invalid(field: "page", reason: "doit être compris entre 1 et \(Self.maxPage).")
        }
        guard (1...Self.maxPer).contains(per) else {
            throw AppError.invalid(field: "per", reason: "doit être compris entre 1 et \(Self.maxPer).")
        }
        self.init(page: page, per: per)
    }

    /// For the hot statements, which page in SQL of their own.
    var offset: Int { (page - 1) * per }

    private static func read(_ name: String, from request: Request) throws -> Int? {
        guard let raw = request.queryValue(name) else { return nil }
        guard let value = Int(raw) else { throw AppError.invalid(field: name, reason: "doit être un entier.") }
        return value
    }
}
