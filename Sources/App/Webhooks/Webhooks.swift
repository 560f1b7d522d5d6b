import Crypto
import EtrangeDomain
import Fluent
import Foundation

/// Writing deliveries (in the transaction of the change) and what they carry.
enum Webhooks {
    /// Attempts before a delivery is given up.
    static let maxAttempts = 6
    /// Wait before the second attempt; each later one waits four times longer (10 s … 2 h 50).
    static let firstRetry: TimeInterval = 10

    static func retryDelay(afterAttempt attempt: Int) -> TimeInterval {
        firstRetry * pow(4, Double(max(0, attempt - 1)))
    }

    /// Queues `event` for the partie's webhook, when it has one that listens to it.
    static func enqueue(_ event: WebhookEvent, session: Session, partie: Partie, at now: Date, on db: any Database)
        async throws
    {
        guard let webhook = try await PartieWebhook.query(on: db).filter(\.$partie.$id == partie.requireID()).first(),
            event == .test || webhook.eventList.contains(event)
        else { return }
        try await queue(event, session: session, partie: partie, webhook: webhook, at: now, on: db)
    }

    @discardableResult
    static func queue(
        _ event: WebhookEvent, session: Session?, partie: Partie, webhook: PartieWebhook,
        reminder: Reminder? = nil, at now: Date, on db: any Database
    ) async throws -> WebhookDelivery {
        let delivery = WebhookDelivery()
        delivery.id = UUID()
        delivery.$webhook.id = try webhook.requireID()
        delivery.event = event.rawValue
        delivery.sessionID = session?.id
        delivery.payload = try payload(
            event, deliveryID: delivery.id!, session: session, partie: partie,
            format: webhook.format, reminder: reminder, at: now)
        delivery.status = .pending
        delivery.attempts = 0
        delivery.nextAttemptAt = now
        delivery.createdAt = now
        try await delivery.create(on: db)
        return delivery
    }

    static func signature(of body: String, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.hex
    }

    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }.hex
    }

    struct JSONPayload: Encodable {
        struct PartieRef: Encodable {
            let id: Int
            let name: String
        }
        struct SessionRef: Encodable {
            let id: UUID
            let name: String
            let status: SessionStatus
            let scheduledDate: Date?
        }
        let event: String
        let deliveryId: UUID
        let occurredAt: Date
        let partie: PartieRef
        let session: SessionRef?
        /// Only in a `session.reminder`.
        let reminder: Reminder?
    }

    /// What a `session.reminder` adds: how long before the start it goes out, and who comes.
    struct Reminder: Encodable, Sendable {
        let offsetMinutes: Int
        let yes: [MemberRef]
        let maybe: [MemberRef]
        /// Members other than the MJ who have not answered.
        let notAnswered: [MemberRef]
    }

    struct DiscordPayload: Encodable {
        struct Embed: Encodable {
            let title: String
            let description: String
            let timestamp: Date
        }
        /// Which mentions Discord may turn into pings: none. The text carries names people chose
        /// (a session called « @everyone ce soir ») that must not wake a whole server.
        struct AllowedMentions: Encodable {
            let parse: [String]
        }
        let content: String
        let embeds: [Embed]
        let allowedMentions = AllowedMentions(parse: [])
    }

    static func payload(
        _ event: WebhookEvent, deliveryID: UUID, session: Session?, partie: Partie,
        format: WebhookFormat, reminder: Reminder? = nil, at now: Date
    ) throws -> String {
        let data: Data
        switch format {
        case .json:
            data = try JSONCoding.encoder.encode(
                JSONPayload(
                    event: event.rawValue, deliveryId: deliveryID, occurredAt: now,
                    partie: .init(id: try partie.requireID(), name: partie.name),
                    session: try session.map {
                        .init(id: try $0.requireID(), name: $0.name, status: $0.status, scheduledDate: $0.scheduledDate)
                    }, reminder: reminder))
        case .discord:
            data = try JSONCoding.encoder.encode(
                DiscordPayload(
                    content: sentence(event, session: session, partie: partie) + (reminder.map(roll) ?? ""),
                    embeds: [
                        .init(
                            title: session?.name ?? partie.name, description: partie.name,
                            timestamp: session?.scheduledDate ?? now)
                    ]))
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// What the table reads in its channel. `<t:…:F>` is Discord's own date markup: each reader
    /// sees the date in their time zone and language.
    static func sentence(_ event: WebhookEvent, session: Session?, partie: Partie) -> String {
        let name = session.map { "« \($0.name) »" } ?? ""
        let when = session?.scheduledDate.map { " <t:\(Int($0.timeIntervalSince1970)):F>" } ?? ""
        switch event {
        case .sessionScheduled: return "📅 Nouvelle session \(name) de \(partie.name), prévue\(when)."
        case .sessionRescheduled: return "🔁 La session \(name) de \(partie.name) est déplacée :\(when)."
        case .sessionStarted: return "🎲 La session \(name) de \(partie.name) commence !"
        case .sessionCancelled: return "❌ La session \(name) de \(partie.name) est annulée."
        case .sessionReminder:
            let soon = session?.scheduledDate.map { " <t:\(Int($0.timeIntervalSince1970)):R>" } ?? ""
            return "⏰ Rappel : la session \(name) de \(partie.name) commence\(soon),\(when)."
        case .test: return "🔔 Test du webhook de \(partie.name) : tout fonctionne."
        }
    }

    /// The lines of a reminder naming who comes. Names are the ones people chose; the payload's
    /// `allowed_mentions` keeps any « @… » in them from pinging. Discord refuses a content over
    /// 2000 characters, so a long table's lists are cut.
    static func roll(_ reminder: Reminder) -> String {
        func names(_ members: [MemberRef]) -> String {
            members.isEmpty ? "personne" : members.map { $0.displayName ?? $0.username }.joined(separator: ", ")
        }
        let text =
            "\n✅ Oui : \(names(reminder.yes))\n🤔 Peut-être : \(names(reminder.maybe))"
            + "\n❔ Sans réponse : \(names(reminder.notAnswered))"
        return text.count > 1500 ? String(text.prefix(1499)) + "…" : text
    }
}
