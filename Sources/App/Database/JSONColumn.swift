import FluentPostgresDriver
import Foundation

/// A list stored in one JSON column. PostgreSQL's driver would otherwise bind a Swift array as a
/// PostgreSQL array (`jsonb[]`), which a `jsonb` column refuses; this sends the whole list as one
/// JSON document on both databases.
struct JSONList<Element: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    var items: [Element]

    init(_ items: [Element]) { self.items = items }

    init(from decoder: any Decoder) throws {
        items = try decoder.singleValueContainer().decode([Element].self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(items)
    }
}

extension JSONList: PostgresCodable {}
