import EtrangeDomain
import Fluent
import Foundation

/// What a partie's webhook is told about.
enum WebhookEvent: String, Codable, CaseIterable, Sendable {
    case sessionScheduled = "session.scheduled"
    case sessionRescheduled = "session.rescheduled"
    case sessionStarted = "session.started"
    case sessionCancelled = "session.cancelled"
    case sessionReminder = "session.reminder"
    case test = "webhook.test"

    static let subscribable: [WebhookEvent] = [
        .sessionScheduled, .sessionRescheduled, .sessionStarted, .sessionCancelled, .sessionReminder,
    ]

    /// The event a move of the session announces: only the first start, not every resume.
    init?(movingTo status: SessionStatus, by action: SessionAction) {
        switch (status, action) {
        case (.active, .start): self = .sessionStarted
        case (.cancelled, _): self = .sessionCancelled
        default: return nil
        }
    }
}

enum WebhookFormat: String, Codable, Sendable {
    case json, discord
}

enum DeliveryStatus: String, Codable, Sendable {
    case pending, delivered, failed
}

final class PartieWebhook: Model, @unchecked Sendable {
    static let schema = "partie_webhooks"

    @ID(key: .id) var id: UUID?
    @Parent(key: "partie_id") var partie: Partie
    @Field(key: "url") var url: String
    @Enum(key: "format") var format: WebhookFormat
    /// The subscribed events, comma-separated: a short list read whole every time.
    @Field(key: "events") var events: String
    @Field(key: "secret") var secret: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var eventList: [WebhookEvent] {
        events.split(separator: ",").compactMap { WebhookEvent(rawValue: String($0)) }
    }
}

final class WebhookDelivery: Model, @unchecked Sendable {
    static let schema = "webhook_deliveries"

    @ID(key: .id) var id: UUID?
    @Parent(key: "webhook_id") var webhook: PartieWebhook
    @Field(key: "event") var event: String
    @OptionalField(key: "session_id") var sessionID: UUID?
    /// The exact body sent, and signed, at every attempt.
    @Field(key: "payload") var payload: String
    @Enum(key: "status") var status: DeliveryStatus
    @Field(key: "attempts") var attempts: Int
    @OptionalField(key: "next_attempt_at") var nextAttemptAt: Date?
    @OptionalField(key: "claimed_until") var claimedUntil: Date?
    @OptionalField(key: "last_status_code") var lastStatusCode: Int?
    @OptionalField(key: "last_error") var lastError: String?
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "delivered_at") var deliveredAt: Date?

    init() {}
}
