import EtrangeDomain
import Fluent
import SQLKit
import Vapor

struct SessionsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let sessions = routes.grouped(TokenAuthMiddleware()).grouped("api", "sessions")
        sessions.get(use: list)
        sessions.post(use: create)
        sessions.get(":id", use: show)
        sessions.put(":id", use: update)
        sessions.delete(":id", use: delete)
        for action in SessionAction.allCases {
            sessions.post(":id", .constant(action.rawValue)) { req in
                try await self.transition(action, req: req)
            }
        }
    }

    func list(req: Request) async throws -> SessionPage {
        let caller = try req.caller
        guard let rawPartie = req.queryValue("partie_id") else {
            throw AppError.invalid(field: "partie_id", reason: "paramètre obligatoire.")
        }
        guard let partieID = Int(rawPartie) else {
            throw AppError.invalid(field: "partie_id", reason: "doit être un entier.")
        }
        let page = try PageRequest(req)
        var status: SessionStatus?
        if let rawStatus = req.queryValue("status") {
            guard let known = SessionStatus(rawValue: rawStatus) else {
                throw AppError.invalid(
                    field: "status",
                    reason: "valeurs possibles : \(SessionStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            status = known
        }
        // The caller's membership, the page and every count the responses show, in one statement:
        // a phone refreshes this list often, and each round trip and model decoded was most of
        // its cost. A page that is not full tells the total itself, which is the usual case (a
        // partie has fewer sessions than a page holds); a full one, or an empty one, takes a count.
        let rows =
            page.offset == 0
            ? try await req.readDB.all(
                FirstSessionPage(
                    callerID: caller.userID, partieID: partieID, status: status, per: page.per, at: req.now))
            : try await req.readDB.all(
                LaterSessionPage(
                    callerID: caller.userID, partieID: partieID, status: status, per: page.per, offset: page.offset,
                    at: req.now))
        if rows.isEmpty, try await !Partie.isMember(partieID, userID: caller.userID, on: req.readDB) {
            throw AppError.notFound("Partie introuvable.")
        }
        let total: Int
        if (1..<page.per).contains(rows.count) || (rows.isEmpty && page.offset == 0) {
            total = page.offset + rows.count
        } else {
            total =
                try await req.readDB.sql.raw(Self.countQuery(partieID: partieID, status: status)).first()?.decode(
                    column: "total_count", as: Int.self) ?? 0
        }
        let now = req.now
        var items = try rows.map { try SessionResponse(row: $0, callerID: caller.userID, now: now) }
        // A second statement rather than more subqueries in the hot one, and none for an empty page.
        let answers =
            items.isEmpty
            ? [:] : try await SessionRSVP.summaries(partieID: partieID, callerID: caller.userID, on: req.readDB)
        for index in items.indices { items[index].rsvp = answers[items[index].id] ?? .none }
        return SessionPage(
            page: Page(items: items, metadata: PageMetadata(page: page.page, per: page.per, total: total)))
    }

    static func countQuery(partieID: Int, status: SessionStatus?) -> SQLQueryString {
        let count: SQLQueryString =
            "SELECT COUNT(*) AS total_count FROM \(ident: Session.schema) s WHERE s.partie_id = \(bind: partieID)"
        guard let status else { return count }
        return count + " AND s.status = \(bind: status.rawValue)"
    }

    func show(req: Request) async throws -> SessionResponse {
        let caller = try req.caller
        return try await SessionResponse.load(req.uuidParameter(), caller: caller, on: req.readDB, now: req.now)
    }

    func create(req: Request) async throws -> Response {
        let caller = try req.caller
        let body = try req.json(CreateSessionRequest.self)
        let partie = try await Partie.managed(body.partieId, by: caller, on: req.db)
        let now = req.now
        let session = Session(
            partieID: partie.id, name: try SessionFields.name(body.name),
            description: try SessionFields.description(body.description),
            scheduledDate: try SessionFields.scheduledDate(body.scheduledDate),
            maxPlayers: try SessionFields.maxPlayers(body.maxPlayers ?? 6),
            allowLateJoin: body.allowLateJoin ?? true, now: now)
        try await req.db.transaction { db in
            try await session.create(on: db)
            if session.scheduledDate != nil {
                try await Webhooks.enqueue(.sessionScheduled, session: session, partie: partie.partie, at: now, on: db)
            }
        }
        req.application.webhooks.poke()
        let response = try await SessionResponse.load(session.requireID(), caller: caller, on: req.db, now: now)
        return try await response.encodeResponse(status: .created, for: req)
    }

    func update(req: Request) async throws -> SessionResponse {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let body = try req.json(UpdateSessionRequest.self)
        let visible = try await Session.managed(id, by: caller, on: req.db)
        let session = visible.session
        let previousDate = session.scheduledDate
        if case .null = body.name { throw AppError.invalid(field: "name", reason: "ne peut pas être null.") }
        if case .null = body.maxPlayers {
            throw AppError.invalid(field: "max_players", reason: "ne peut pas être null.")
        }
        if case .null = body.allowLateJoin {
            throw AppError.invalid(field: "allow_late_join", reason: "ne peut pas être null.")
        }
        if let name = body.name.newValue { session.name = try SessionFields.name(name) }
        if body.description.isSent { session.description = try SessionFields.description(body.description.newValue) }
        if body.scheduledDate.isSent {
            session.scheduledDate = try SessionFields.scheduledDate(body.scheduledDate.newValue)
        }
        if let allow = body.allowLateJoin.newValue { session.allowLateJoin = allow }
        if body.voiceChannelId.isSent {
            session.voiceChannelID = try SessionFields.voiceChannel(body.voiceChannelId.newValue)
        }
        if body.summary.isSent { session.summary = try SessionFields.summary(body.summary.newValue) }
        if body.notes.isSent { session.notes = try SessionFields.notes(body.notes.newValue) }
        if case .null = body.cardValues {
            throw AppError.invalid(field: "card_values", reason: "ne peut pas être null.")
        }
        if let rule = body.cardValues.newValue {
            guard CardValueTable.named(rule) != nil else {
                throw AppError.invalid(
                    field: "card_values",
                    reason: "règles connues : \(CardValueTable.builtIn.map(\.name).joined(separator: ", ")).")
            }
            session.cardValues = rule
        }
        if body.keyEvents.isSent { session.keyEvents = try body.keyEvents.newValue.map(SessionFields.keyEvents) }
        if body.characterDevelopments.isSent {
            session.characterDevelopments = try await body.characterDevelopments.newValue.asyncMap {
                try await SessionFields.characterDevelopments($0, partieID: visible.partie.id, on: req.db)
            }
        }
        if let maxPlayers = body.maxPlayers.newValue {
            session.maxPlayers = try SessionFields.maxPlayers(maxPlayers)
        }
        session.updatedAt = req.now
        try await req.db.transaction { db in
            // Under the session's lock, so a join cannot take a seat the new limit removes.
            _ = try await Participation.lockSession(id, on: db)
            if body.maxPlayers.isSent {
                let seated = try await Participation.seatedPlayers(in: id, on: db)
                guard session.maxPlayers >= seated else {
                    throw AppError.invalid(
                        field: "max_players", reason: "ne peut pas descendre sous les \(seated) places déjà prises.")
                }
            }
            try await session.save(on: db)
            // More seats: the waiting list takes them.
            if body.maxPlayers.isSent { try await Waitlist.fillFreeSeats(in: session, at: req.now, on: db) }
            try await Session.bumpRevision(id, on: db)
            try await LiveEvents.record(
                .sessionUpdated, in: id, data: SessionUpdatedEventData(session), at: session.updatedAt, on: db)
            if let date = session.scheduledDate, date != previousDate, session.status == .scheduled {
                try await Webhooks.enqueue(
                    previousDate == nil ? .sessionScheduled : .sessionRescheduled,
                    session: session, partie: visible.partie.partie, at: req.now, on: db)
            }
        }
        await req.announce(id)
        req.application.webhooks.poke()
        return try await SessionResponse.load(id, caller: caller, on: req.db, now: req.now)
    }

    func delete(req: Request) async throws -> HTTPStatus {
        let caller = try req.caller
        let visible = try await Session.managed(req.uuidParameter(), by: caller, on: req.db)
        let deletable: [SessionStatus] = [.scheduled, .cancelled]
        let deleted = try await req.db.sql.delete(from: Session.schema)
            .where("id", .equal, visible.id)
            .where("status", .in, deletable.map(\.rawValue))
            .returning("id")
            .all()
        if deleted.isEmpty {
            guard let current = try await Session.find(visible.id, on: req.db) else {
                throw AppError.notFound("Session introuvable.")
            }
            throw AppError.conflict(
                "Seule une session « scheduled » ou « cancelled » peut être supprimée ; celle-ci est « \(current.status.rawValue) »."
            )
        }
        await req.application.live.announceDeletion(of: visible.id)
        return .noContent
    }

    /// Moves the session through the state machine. The write is conditional on the state it was
    /// read in, so of two racing moves exactly one wins and the other sees the new state; the
    /// database's unique index keeps a partie to one running session.
    func transition(_ action: SessionAction, req: Request) async throws -> SessionResponse {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let account =
            action == .end && req.hasBody
            ? try req.json(EndSessionRequest.self) : nil
        let visible = try await Session.managed(id, by: caller, on: req.db)
        let session = visible.session
        let now = req.now

        let current = session.status
        let next: SessionStatus
        switch current.applying(action) {
        case .success(let status): next = status
        case .failure(let refusal): throw AppError.conflict(refusal.reason)
        }

        if let account {
            if let summary = account.summary { session.summary = try SessionFields.summary(summary) }
            if let notes = account.notes { session.notes = try SessionFields.notes(notes) }
            if let events = account.keyEvents { session.keyEvents = try SessionFields.keyEvents(events) }
            if let developments = account.characterDevelopments {
                session.characterDevelopments = try await SessionFields.characterDevelopments(
                    developments, partieID: visible.partie.id, on: req.db)
            }
        }

        let time = {
            var time = session.activeTime
            if next == .active { time.start(at: now) } else { time.stop(at: now) }
            return time
        }()

        // The session as the winning transaction left it; nil when another move came first.
        let moved: Session?
        do {
            moved = try await req.db.transaction { db -> Session? in
                var update = db.sql.update(Session.schema)
                    .set("status", to: next.rawValue)
                    .set("active_seconds", to: time.accumulatedSeconds)
                    .set("active_since", to: time.runningSince)
                    .set("updated_at", to: now)
                    .set(SQLIdentifier("revision"), to: SQLRaw("revision + 1"))
                if action == .start { update = update.set("started_at", to: now) }
                if next.isFinal {
                    update = update.set("ended_at", to: now).set("duration_minutes", to: time.minutes(at: now))
                }
                let rows =
                    try await update
                    .where("id", .equal, id)
                    .where("status", .equal, current.rawValue)
                    .returning("id")
                    .all()
                guard !rows.isEmpty else { return nil }
                if account != nil { try await session.save(on: db) }
                try await Participation.sessionMoved(id, to: next, at: now, on: db)
                guard let moved = try await Session.find(id, on: db) else { return nil }
                try await LiveEvents.record(
                    .sessionStatus, in: id, data: LiveEvents.status(of: moved, at: now), at: now, on: db)
                try await Chat.post(
                    .init(kind: .system, body: Chat.systemLine(for: next), author: nil, sessionID: id, at: now), on: db)
                if let event = WebhookEvent(movingTo: next, by: action) {
                    try await Webhooks.enqueue(event, session: moved, partie: visible.partie.partie, at: now, on: db)
                }
                return moved
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw AppError.conflict(
                "Une autre session de cette partie est déjà en cours : terminez-la ou mettez-la en pause avant d'en démarrer une autre."
            )
        }

        guard moved != nil else {
            guard let current = try await Session.find(id, on: req.db) else {
                throw AppError.notFound("Session introuvable.")
            }
            if case .failure(let refusal) = current.status.applying(action) {
                throw AppError.conflict(refusal.reason)
            }
            throw AppError.conflict(
                "La session vient de changer d'état (« \(current.status.rawValue) ») : rechargez-la avant de réessayer."
            )
        }
        await req.announce(id)
        req.application.webhooks.poke()
        return try await SessionResponse.load(id, caller: caller, on: req.db, now: now)
    }
}
