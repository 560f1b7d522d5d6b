import Fluent
import Foundation
import Vapor

/// `/api/parties/{id}/webhook`: the MJ's outgoing notifications.
struct WebhooksController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let webhook = routes.grouped(TokenAuthMiddleware()).grouped("api", "parties", ":id", "webhook")
        webhook.get(use: show)
        webhook.put(use: put)
        webhook.delete(use: delete)
        webhook.get("deliveries", use: deliveries)
        webhook.post("test", use: test)
    }

    func show(req: Request) async throws -> WebhookResponse {
        let partie = try await Partie.managed(req.intParameter(), by: req.caller, on: req.db)
        return WebhookResponse(try await Self.existing(partie.id, on: req.db), revealing: false)
    }

    func put(req: Request) async throws -> WebhookResponse {
        let caller = try req.caller
        let body = try req.json(PutWebhookRequest.self)
        let partie = try await Partie.managed(req.intParameter(), by: caller, on: req.db)
        let url = try Self.checkURL(body.url, allowPrivate: req.application.config.webhooksMayReachPrivateAddresses)
        let format = try body.format.map { raw in
            guard let format = WebhookFormat(rawValue: raw) else {
                throw AppError.invalid(field: "format", reason: "« json » ou « discord ».")
            }
            return format
        }
        let events = try body.events.map { raws in
            let events = try raws.map { raw in
                guard let event = WebhookEvent(rawValue: raw), WebhookEvent.subscribable.contains(event) else {
                    throw AppError.invalid(
                        field: "events",
                        reason:
                            "événements possibles : \(WebhookEvent.subscribable.map(\.rawValue).joined(separator: ", "))."
                    )
                }
                return event
            }
            guard !events.isEmpty else { throw AppError.invalid(field: "events", reason: "au moins un événement.") }
            return events
        }
        let now = req.now
        let existing = try await PartieWebhook.query(on: req.db).filter(\.$partie.$id == partie.id).first()
        // Each new address is a new place the server will call: bounded like the tests.
        if existing?.url != url {
            try req.limit(
                "webhook-url:\(caller.userID)", req.application.config.limits.webhookAddresses,
                reason: "Trop de changements d'adresse de webhook.")
        }
        let webhook = existing ?? PartieWebhook()
        let reveal = existing == nil || body.rotateSecret == true
        if existing == nil {
            webhook.$partie.id = partie.id
            webhook.createdAt = now
            webhook.format = .json
            webhook.events = WebhookEvent.subscribable.map(\.rawValue).joined(separator: ",")
        }
        if reveal { webhook.secret = Webhooks.newSecret() }
        webhook.url = url
        if let format { webhook.format = format }
        if let events {
            webhook.events = Set(events).sorted { $0.rawValue < $1.rawValue }.map(\.rawValue).joined(separator: ",")
        }
        webhook.updatedAt = now
        do {
            try await webhook.save(on: req.db)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw AppError.conflict("Le webhook vient d'être configuré ailleurs : rechargez puis réessayez.")
        }
        return WebhookResponse(webhook, revealing: reveal)
    }

    func delete(req: Request) async throws -> HTTPStatus {
        let partie = try await Partie.managed(req.intParameter(), by: req.caller, on: req.db)
        try await Self.existing(partie.id, on: req.db).delete(on: req.db)
        return .noContent
    }

    func deliveries(req: Request) async throws -> [DeliveryResponse] {
        let partie = try await Partie.managed(req.intParameter(), by: req.caller, on: req.db)
        let webhook = try await Self.existing(partie.id, on: req.db)
        return try await WebhookDelivery.query(on: req.db)
            .filter(\.$webhook.$id == webhook.requireID())
            .sort(\.$createdAt, .descending)
            .limit(50)
            .all()
            .map(DeliveryResponse.init)
    }

    func test(req: Request) async throws -> Response {
        let caller = try req.caller
        try req.limit(
            "webhook-test:\(caller.userID)", req.application.config.limits.webhookTests,
            reason: "Trop de tests de webhook.")
        let partie = try await Partie.managed(req.intParameter(), by: caller, on: req.db)
        let webhook = try await Self.existing(partie.id, on: req.db)
        let delivery = try await Webhooks.queue(
            .test, session: nil, partie: partie.partie, webhook: webhook, at: req.now, on: req.db)
        req.application.webhooks.poke()
        return try await DeliveryResponse(delivery).encodeResponse(status: .accepted, for: req)
    }

    static func existing(_ partieID: Int, on db: any Database) async throws -> PartieWebhook {
        guard let webhook = try await PartieWebhook.query(on: db).filter(\.$partie.$id == partieID).first() else {
            throw AppError.notFound("Aucun webhook n'est configuré pour cette partie.")
        }
        return webhook
    }

    /// An http(s) address whose host is a strict IP literal or a DNS name. Unless the operator
    /// allows it, not a literal or a name that means the server's own machine or network; a
    /// name is checked again, resolved, at every delivery (`WebhookDispatcher.checkedAddress`).
    static func checkURL(_ raw: String, allowPrivate: Bool) throws -> String {
        let text = raw.trimmingCharacters(in: .whitespaces)
        let target = try WebhookTarget(text)
        if !allowPrivate {
            let local =
                switch target.host {
                case .address(let address): !address.isPublic
                case .name: target.isLocalName
                }
            if local {
                throw AppError.invalid(
                    field: "url", reason: "les adresses locales ou privées ne sont pas autorisées sur ce serveur.")
            }
        }
        return text
    }
}
