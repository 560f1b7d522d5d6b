import Fluent
import SQLKit

/// A partie's outgoing webhook. The secret signs the bodies, so it is kept as is.
struct CreatePartieWebhooks: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("partie_webhooks")
            .id()
            .field("partie_id", .int, .required, .references("parties", "id", onDelete: .cascade))
            .field("url", .sql(unsafeRaw: "VARCHAR(2048)"), .required)
            .field(
                "format", .sql(unsafeRaw: "VARCHAR(10)"), .required,
                .sql(unsafeRaw: "CHECK (format IN ('json', 'discord'))")
            )
            .field("events", .sql(unsafeRaw: "TEXT"), .required)
            .field("secret", .sql(unsafeRaw: "VARCHAR(64)"), .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "partie_id", name: "uq_partie_webhooks_partie")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("partie_webhooks").delete()
    }
}

/// The outbox: a delivery is written in the transaction of the change that causes it, and sent
/// afterwards by whichever instance claims it first.
struct CreateWebhookDeliveries: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("webhook_deliveries")
            .id()
            .field("webhook_id", .uuid, .required, .references("partie_webhooks", "id", onDelete: .cascade))
            .field("event", .sql(unsafeRaw: "VARCHAR(40)"), .required)
            .field("session_id", .uuid, .references("sessions", "id", onDelete: .setNull))
            .field("payload", .sql(unsafeRaw: "TEXT"), .required)
            .field(
                "status", .sql(unsafeRaw: "VARCHAR(10)"), .required,
                .sql(unsafeRaw: "DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed'))")
            )
            .field("attempts", .int, .required, .sql(unsafeRaw: "DEFAULT 0"))
            .field("next_attempt_at", .datetime)
            .field("claimed_until", .datetime)
            .field("last_status_code", .int)
            .field("last_error", .sql(unsafeRaw: "TEXT"))
            .field("created_at", .datetime, .required)
            .field("delivered_at", .datetime)
            .create()
        try await database.index("idx_webhook_deliveries_due", on: "webhook_deliveries", ["status", "next_attempt_at"])
        try await database.index(
            "idx_webhook_deliveries_webhook", on: "webhook_deliveries", ["webhook_id", "created_at"])
        // Deleting a session sets its deliveries' session_id to null: found through this index.
        try await database.index("idx_webhook_deliveries_session", on: "webhook_deliveries", ["session_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("webhook_deliveries").delete()
    }
}
