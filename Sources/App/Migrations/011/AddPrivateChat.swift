import Fluent
import SQLKit

/// Private lines, announcements, corrections and removals in a session's chat. Who may read a
/// private line is a table of people, not a list inside a document, so that every read filters on
/// it in SQL; the live journal gets the same for the events those lines produce.
struct AddPrivateChat: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // SQLite adds a NOT NULL column only with a default: every existing line is public. It
        // also adds one column per statement.
        try await database.schema("session_messages")
            .field(
                "scope", .sql(unsafeRaw: "VARCHAR(12)"), .required,
                .sql(unsafeRaw: "DEFAULT 'public' CHECK (scope IN ('public', 'private', 'announcement'))")
            )
            .update()
        for column in ["edited_at", "deleted_at", "pinned_at"] {
            try await database.schema("session_messages").field(.string(column), .datetime).update()
        }
        // The MJ's chosen players; a player's private line to the MJ has none.
        try await database.schema("session_message_recipients")
            .field("message_id", .int, .required, .references("session_messages", "id", onDelete: .cascade))
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .compositeIdentifier(over: "message_id", "user_id")
            .create()
        try await database.index("idx_session_message_recipients_user", on: "session_message_recipients", ["user_id"])
        // The line an event is about, so that deleting or correcting a line rewrites the events
        // that carried its text, rather than leave it in the journal for a replay.
        try await database.schema(SessionEvent.schema).field("message_id", .int).update()
        try await database.index("idx_session_events_message", on: SessionEvent.schema, ["message_id"])
        // Who, besides the MJ, receives an event of visibility `mj`: a private line's author and
        // recipients. Pruned with its event.
        try await database.schema("session_event_audience")
            .field("event_id", .uuid, .required, .references("session_events", "id", onDelete: .cascade))
            .field("user_id", .int, .required, .references("users", "id", onDelete: .cascade))
            .compositeIdentifier(over: "event_id", "user_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("session_event_audience").delete()
        try await database.schema("session_message_recipients").delete()
        try await database.sql.drop(index: "idx_session_events_message").run()
        try await database.schema(SessionEvent.schema).deleteField("message_id").update()
        for column in ["pinned_at", "deleted_at", "edited_at", "scope"] {
            try await database.schema("session_messages").deleteField(.string(column)).update()
        }
    }
}
