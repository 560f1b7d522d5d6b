import Vapor

/// `?page=&per=` as every list of the API reads it; at most 100 items a page.
struct PageQuery {
    static let maxPer = 100
    /// Far beyond any real list, and small enough that the offset never overflows.
    static let maxPage = 100_000
    let page: Int
    let per: Int

    init(_ request: Request, defaultPer: Int = 20) throws {
        page = try Self.read("page", from: request) ?? 1
        per = try Self.read("per", from: request) ?? defaultPer
        guard (1...Self.maxPage).contains(page) else {
            throw AppError.invalid(field: "page", reason: "doit être compris entre 1 et \(Self.maxPage).")
        }
        guard (1...Self.maxPer).contains(per) else {
            throw AppError.invalid(field: "per", reason: "doit être compris entre 1 et \(Self.maxPer).")
        }
    }

    var offset: Int { (page - 1) * per }

    private static func read(_ name: String, from request: Request) throws -> Int? {
        guard let raw = request.queryValue(name) else { return nil }
        guard let value = Int(raw) else { throw AppError.invalid(field: name, reason: "doit être un entier.") }
        return value
    }
}

struct PageMetadata: Content {
    let page: Int
    let per: Int
    let total: Int
}

struct PageResponse<Item: Content>: Content {
    let items: [Item]
    let metadata: PageMetadata
}
