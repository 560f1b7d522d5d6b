import Fluent
import Foundation
import Vapor

/// A user's calendar subscription. The URL holds the secret, so that phone calendars, which
/// send no bearer header, can read it; only its digest is stored.
final class CalendarFeed: Model, @unchecked Sendable {
    static let schema = "calendar_feeds"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "secret_hash") var secretHash: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?

    init() {}
}

struct CalendarFeedResponse: Content {
    let active: Bool
    let createdAt: Date?
    let lastUsedAt: Date?
    /// Only in the answer that created it: the secret is not kept in clear.
    let url: String?
}
