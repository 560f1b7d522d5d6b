import Fluent
import SQLKit

/// The MJ's reminder offsets per partie, and the reminders already queued: one row per session,
/// scheduled date and offset under a unique key, which the pass that queues them inserts or
/// ignores, so two instances (or a pass after a restart) queue each reminder once, and a session
/// moved to a new date gets a new key, hence reminders at its new time.
struct CreateSessionReminders: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // A short list read whole every time, comma-separated like a webhook's events.
        try await database.schema("parties")
            .field(
                "reminder_offsets_minutes", .sql(unsafeRaw: "VARCHAR(32)"), .required,
                .sql(unsafeRaw: "DEFAULT '1440,60'")
            )
            .update()
        try await database.schema("session_reminders")
            .id()
            .field("session_id", .uuid, .required, .references("sessions", "id", onDelete: .cascade))
            .field("scheduled_date", .datetime, .required)
            .field("offset_minutes", .int, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "session_id", "scheduled_date", "offset_minutes", name: "uq_session_reminders_key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("session_reminders").delete()
        try await database.schema("parties").deleteField("reminder_offsets_minutes").update()
    }
}
