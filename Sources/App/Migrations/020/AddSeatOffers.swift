import Fluent

/// A seat held for the first in line who was away when it freed, until the offer runs out.
struct AddSeatOffers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("session_waiters").field("offered_until", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("session_waiters").deleteField("offered_until").update()
    }
}
