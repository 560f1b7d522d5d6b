import Fluent
import SQLKit

/// Short-lived, single-use tickets for opening the live channel without a token in its URL
/// (`LiveTickets`). Kept in the database, not in an instance's memory, so that a ticket is spent
/// once whichever instance it is presented to. Only its digest is stored, as for tokens.
struct CreateLiveTickets: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("live_tickets")
            .field("digest", .string, .identifier(auto: false))
            .field("session_id", .uuid, .required, .references("sessions", "id", onDelete: .cascade))
            .field("token_id", .uuid, .required, .references("user_tokens", "id", onDelete: .cascade))
            .field("expires_at", .datetime, .required)
            .create()
        try await database.index("idx_live_tickets_expires", on: "live_tickets", ["expires_at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("live_tickets").delete()
    }
}
