import Foundation
import Vapor

struct PutWebhookRequest: Content {
    var url: String
    var format: String?
    var events: [String]?
    var rotateSecret: Bool?
}

struct WebhookResponse: Content {
    let url: String
    let format: WebhookFormat
    let events: [String]
    let createdAt: Date
    let updatedAt: Date
    /// Shown once, when it was just made: the receiver needs it to check signatures.
    let secret: String?

    init(_ webhook: PartieWebhook, revealing secret: Bool) {
        url = webhook.url
        format = webhook.format
        events = webhook.eventList.map(\.rawValue)
        createdAt = webhook.createdAt
        updatedAt = webhook.updatedAt
        self.secret = secret ? webhook.secret : nil
    }
}

struct DeliveryResponse: Content {
    let id: UUID
    let event: String
    let sessionId: UUID?
    let status: DeliveryStatus
    let attempts: Int
    let lastStatusCode: Int?
    let lastError: String?
    let createdAt: Date
    let deliveredAt: Date?
    let nextAttemptAt: Date?

    init(_ delivery: WebhookDelivery) throws {
        id = try delivery.requireID()
        event = delivery.event
        sessionId = delivery.sessionID
        status = delivery.status
        attempts = delivery.attempts
        lastStatusCode = delivery.lastStatusCode
        // Rows written before every failure read the same carried the transport's error,
        // which told an open port from a closed one.
        lastError =
            delivery.lastStatusCode == nil && delivery.lastError != nil
            ? WebhookDispatcher.failureReason : delivery.lastError
        createdAt = delivery.createdAt
        deliveredAt = delivery.deliveredAt
        nextAttemptAt = delivery.status == .pending ? delivery.nextAttemptAt : nil
    }
}
