import EtrangeDomain
import Fluent
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket
import Vapor

/// `GET /api/sessions/{id}/live`: the session's events over a WebSocket. Everything that can be
/// refused is refused before the upgrade, as an ordinary JSON error. `POST …/live-ticket` gives
/// a ticket to open it with, so that no token need be written in its URL.
struct LiveController: RouteCollection {
    /// Largest message a client may send, whether in one frame or many; beyond it the socket
    /// closes with 1009. The client only sends `ping` and `active`, a few dozen bytes.
    static let maxMessageSize = 4096
    /// Frames a client may send: 20 in a burst, then 10 a second.
    static let frames = Throttle.Rule(burst: 20, window: 2)
    /// How often the server pings; the pongs keep the presence fresh.
    static let pingInterval: TimeAmount = .seconds(20)
    /// Presence is refreshed by traffic at most this often per connection.
    static let touchInterval: TimeInterval = 15

    func boot(routes: any RoutesBuilder) throws {
        routes.get("api", "sessions", ":id", "live", use: open)
        routes.grouped(TokenAuthMiddleware()).post("api", "sessions", ":id", "live-ticket", use: ticket)
    }

    struct Grant {
        let caller: Caller
        let sessionID: UUID
        let isMJ: Bool
        let since: Int?
    }

    func open(req: Request) async throws -> Response {
        let grant = try await authorize(req)
        guard req.headers.first(name: .upgrade)?.lowercased() == "websocket" else {
            throw Abort(.upgradeRequired, reason: "Cette adresse attend une connexion WebSocket.")
        }
        let app = req.application
        let response = Response(status: .switchingProtocols)
        response.upgrader = LiveUpgrader(maxMessageSize: Self.maxMessageSize) { socket, channel in
            Self.accept(socket, channel: channel, grant: grant, app: app)
        }
        return response
    }

    /// Same authorization as the channel itself: a ticket is refused exactly when the socket would be.
    func ticket(req: Request) async throws -> Response {
        let caller = try req.caller
        try req.limit(
            "live-ticket:\(caller.userID)", req.application.config.limits.liveTickets,
            reason: "Trop de tickets demandés.")
        let grant = try await authorize(caller, for: req.uuidParameter(), since: nil, req: req)
        return try await LiveTickets.issue(to: caller, for: grant.sessionID, at: req.now, on: req.db)
            .encodeResponse(status: .created, for: req)
    }

    /// The caller comes from the `Authorization` header, a `ticket` (the web page) or a `token`
    /// (older clients) in the query. Anonymous callers get 401, outsiders 404, members without a
    /// seat 403, a finished session 409.
    func authorize(_ req: Request) async throws -> Grant {
        let id = try req.uuidParameter()
        let caller: Caller
        if let token = req.headers.bearerAuthorization?.token, !token.isEmpty {
            caller = try await TokenAuthMiddleware.authenticate(token, for: req)
        } else if let ticket = req.queryValue("ticket"), !ticket.isEmpty {
            caller = try await LiveTickets.redeem(ticket, for: id, at: req.now, on: req.db)
        } else if let token = req.queryValue("token"), !token.isEmpty {
            caller = try await TokenAuthMiddleware.authenticate(token, for: req)
        } else {
            throw AppError.unauthorized(
                "Authentification requise : en-tête Authorization, ou paramètre ticket (POST …/live-ticket).")
        }
        var since: Int?
        if let raw = req.queryValue("since") {
            guard let value = Int(raw), value >= 0 else {
                throw AppError.invalid(field: "since", reason: "doit être un entier positif ou nul.")
            }
            since = value
        }
        return try await authorize(caller, for: id, since: since, req: req)
    }

    private func authorize(_ caller: Caller, for id: UUID, since: Int?, req: Request) async throws -> Grant {
        let visible = try await Session.visible(id, to: caller, on: req.db)
        guard !visible.session.status.isFinal else {
            throw AppError.conflict(
                "La session est « \(visible.session.status.rawValue) » : il n'y a plus rien à suivre en direct.")
        }
        if !visible.partie.isMJ {
            guard try await Participation.seat(of: caller.userID, in: id, on: req.db) != nil else {
                throw AppError.forbidden("Rejoignez d'abord la session pour la suivre en direct.")
            }
        }
        return Grant(caller: caller, sessionID: id, isMJ: visible.partie.isMJ, since: since)
    }

    /// Runs on the socket's event loop as soon as WebSocketKit has made it, before the client's
    /// first frame is read: WebSocketKit keeps its callbacks bound to that loop, and drops the
    /// frames that come before them (a first `active`, or the start of a flood, went unseen). The
    /// ping interval too: set from another thread, the first ping can be answered before
    /// WebSocketKit notes that it waits for the pong, and the next ping then closes a healthy
    /// connection as timed out (1 socket in 16 on loopback, 40 s after opening).
    static func accept(_ socket: WebSocket, channel: any Channel, grant: Grant, app: Application) {
        let subscriber = LiveSubscriber(
            socket: socket, channel: channel, sessionID: grant.sessionID, userID: grant.caller.userID,
            tokenID: grant.caller.tokenID,
            isMJ: grant.isMJ, maxPending: app.config.liveQueueLimit,
            onSessionRunning: { Task { await app.live.guarded { await markOnline(grant, app: app) } } })
        let limiter = NIOLockedValueBox(TokenBucket(frames, at: uptime()))
        let lastTouch = NIOLockedValueBox(app.clock.now())

        let touch: @Sendable () -> Void = {
            let now = app.clock.now()
            let due = lastTouch.withLockedValue { last -> Bool in
                guard now.timeIntervalSince(last) >= touchInterval else { return false }
                last = now
                return true
            }
            if due { app.live.touches.add(grant, app: app) }
        }
        registerCallbacks(socket, subscriber: subscriber, limiter: limiter, touch: touch, grant: grant, app: app)
        socket.pingInterval = pingInterval
        Task { await serve(subscriber, grant: grant, app: app) }
    }

    private static func serve(_ subscriber: LiveSubscriber, grant: Grant, app: Application) async {
        await app.live.subscribe(subscriber, since: grant.since)
        // A logout, a leave or a deletion between the authorization and the subscription found
        // no socket to close: look again now that the hub knows this one.
        await app.live.guarded {
            switch await standing(of: grant, app: app) {
            case .allowed:
                await markOnline(grant, app: app)
            case .revoked:
                subscriber.close(
                    code: .policyViolation, reason: "refusé",
                    message: LiveMessages.closing("Accès retiré : reconnectez-vous."))
                await app.live.unsubscribe(subscriber)
            case .deleted:
                subscriber.close(
                    code: .normalClosure, reason: "supprimée", message: LiveMessages.deleted(grant.sessionID))
                await app.live.unsubscribe(subscriber)
            }
        }
    }

    private static func registerCallbacks(
        _ socket: WebSocket, subscriber: LiveSubscriber, limiter: NIOLockedValueBox<TokenBucket>,
        touch: @escaping @Sendable () -> Void, grant: Grant, app: Application
    ) {
        socket.onText { socket, text in
            guard limiter.withLockedValue({ $0.take(frames, at: uptime()) == nil }) else {
                subscriber.close(
                    code: .policyViolation, reason: "débit",
                    message: LiveMessages.closing("Trop de messages : ralentissez puis reconnectez-vous."))
                return
            }
            let message = ClientMessage(text)
            if message == .active {
                // The page saw a touch or a key: the person is there, not only their phone.
                Task { await app.live.guarded { await markOnline(grant, active: true, app: app) } }
                return
            }
            touch()
            if message == .ping {
                socket.send(#"{"type":"pong"}"#, promise: nil)
            }
        }
        socket.onBinary { _, _ in
            subscriber.close(
                code: .unacceptableData, reason: "binaire",
                message: LiveMessages.closing("Seuls les messages texte sont acceptés."))
        }
        socket.onPong { _, _ in touch() }
        socket.onClose.whenComplete { _ in
            let closedAt = app.clock.now()
            Task {
                let hub = app.live
                await hub.unsubscribe(subscriber)
                // Whether another of the person's sockets still serves them is decided once, when
                // the departure is settled.
                hub.departures.add(grant, at: closedAt, hub: hub, app: app)
            }
        }
    }

    private enum Standing { case allowed, revoked, deleted }

    private static func standing(of grant: Grant, app: Application) async -> Standing {
        do {
            guard try await Session.find(grant.sessionID, on: app.db) != nil else { return .deleted }
            guard try await UserToken.find(grant.caller.tokenID, on: app.db) != nil else { return .revoked }
            if grant.isMJ { return .allowed }
            return try await Participation.seat(of: grant.caller.userID, in: grant.sessionID, on: app.db) != nil
                ? .allowed : .revoked
        } catch {
            return .revoked
        }
    }

    /// Opening the channel is a connection, exactly as `POST …/presence`; for the MJ it is also a
    /// seat as master. Nothing to do while the session has not started.
    static func markOnline(_ grant: Grant, active: Bool = false, app: Application) async {
        let now = app.clock.now()
        do {
            try await app.db.transaction { db in
                try await Participation.heartbeat(
                    userID: grant.caller.userID, isMJ: grant.isMJ, in: grant.sessionID,
                    active: active, at: now, on: db)
            }
            await app.live.publish(grant.sessionID)
        } catch {
            // A session not started yet: the connection will count once it is.
            app.logger.debug("live presence not marked: \(String(reflecting: error))")
        }
    }
}

/// Seconds on the monotonic clock, for the frame allowance: the rate is about the network, not
/// about the game's clock.
private func uptime() -> TimeInterval {
    TimeInterval(NIODeadline.now().uptimeNanoseconds) / 1e9
}
