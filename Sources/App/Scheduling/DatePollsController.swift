import EtrangeDomain
import Fluent
import SQLKit
import Vapor

/// Date polls: the MJ proposes slots, members answer each, and closing the poll on a slot creates
/// the scheduled session.
struct DatePollsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped(TokenAuthMiddleware()).grouped("api")
        api.get("parties", ":id", "polls", use: list)
        api.post("parties", ":id", "polls", use: create)
        let poll = api.grouped("polls", ":id")
        poll.get(use: show)
        poll.put("answers", use: answer)
        poll.post("close", use: close)
        poll.post("cancel", use: cancel)
    }

    /// The partie's polls, open ones first, then the most recent: a partie has a handful.
    func list(req: Request) async throws -> [PollResponse] {
        let caller = try req.caller
        let partie = try await Partie.visible(req.intParameter(), to: caller, on: req.readDB)
        let polls = try await DatePoll.query(on: req.readDB).filter(\.$partie.$id == partie.id)
            .sort(\.$createdAt, .descending).limit(50).all()
        let responses = try await Self.responses(polls, partie: partie, on: req.readDB)
        return responses.filter { $0.status == .open } + responses.filter { $0.status != .open }
    }

    func create(req: Request) async throws -> Response {
        let caller = try req.caller
        let body = try req.json(CreatePollRequest.self)
        let partie = try await Partie.managed(req.intParameter(), by: caller, on: req.db, refusal: DatePoll.onlyTheMJ)
        let now = req.now
        let poll = DatePoll()
        poll.$partie.id = partie.id
        poll.name = try SessionFields.name(body.name)
        poll.description = try SessionFields.description(body.description)
        poll.maxPlayers = try SessionFields.maxPlayers(body.maxPlayers ?? 6)
        poll.allowLateJoin = body.allowLateJoin ?? true
        poll.status = .open
        poll.createdAt = now
        poll.updatedAt = now
        let slots = try body.slots.enumerated().map { try Check.date($1, field: "slots[\($0)]") }
        if let refusal = PollSlots.refusal(slots, now: now) { throw AppError.invalid(field: "slots", reason: refusal) }
        try await req.db.transaction { db in
            try await poll.create(on: db)
            let id = try poll.requireID()
            for date in slots.sorted() { try await DatePollSlot(pollID: id, startsAt: date).create(on: db) }
            try await PartieChanges.record(partie.id, on: db)
        }
        await req.partieChanged(partie.id)
        let response = try await Self.responses([poll], partie: partie, on: req.db)[0]
        return try await response.encodeResponse(status: .created, for: req)
    }

    func show(req: Request) async throws -> PollResponse {
        let (poll, partie) = try await DatePoll.visible(req.uuidParameter(), to: req.caller, on: req.readDB)
        return try await Self.responses([poll], partie: partie, on: req.readDB)[0]
    }

    /// Any member, whenever they joined the partie, while the poll is open.
    func answer(req: Request) async throws -> PollResponse {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let body = try req.json(PollAnswersRequest.self)
        let (_, partie) = try await DatePoll.visible(id, to: caller, on: req.db)
        let slotIDs = Set(
            try await DatePollSlot.query(on: req.db).filter(\.$poll.$id == id).all().map { try $0.requireID() })
        guard (1...PollSlots.count.upperBound).contains(body.answers.count) else {
            throw AppError.invalid(field: "answers", reason: "entre 1 et \(PollSlots.count.upperBound) réponses.")
        }
        for (index, item) in body.answers.enumerated() where !slotIDs.contains(item.slotId) {
            throw AppError.invalid(field: "answers[\(index)].slot_id", reason: "ce créneau n'est pas de ce sondage.")
        }
        guard Set(body.answers.map(\.slotId)).count == body.answers.count else {
            throw AppError.invalid(field: "answers", reason: "un même créneau est répondu deux fois.")
        }
        let now = req.now
        try await req.db.transaction { db in
            guard let status = try await DatePoll.lock(id, on: db) else { throw DatePoll.notFound }
            guard status == .open else { throw Self.notOpen(status) }
            for item in body.answers {
                try await DatePoll.upsertAnswer(
                    pollID: id, slotID: item.slotId, userID: caller.userID, answer: item.answer, at: now, on: db)
            }
            try await PartieChanges.record(partie.id, on: db)
        }
        await req.partieChanged(partie.id)
        return try await Self.reload(id, partie: partie, on: req.db)
    }

    /// Closes the poll on one slot and creates its session in the same transaction: the
    /// conditional write on the poll's state lets one of two racing closes win, and the loser's
    /// transaction, session included, is rolled back.
    func close(req: Request) async throws -> PollResponse {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let body = try req.json(ClosePollRequest.self)
        let (poll, partie) = try await DatePoll.managed(id, by: caller, on: req.db)
        guard
            let slot = try await DatePollSlot.query(on: req.db).filter(\.$id == body.slotId)
                .filter(\.$poll.$id == id).first()
        else {
            throw AppError.invalid(field: "slot_id", reason: "ce créneau n'est pas de ce sondage.")
        }
        let now = req.now
        guard slot.startsAt > now else {
            throw AppError.invalid(field: "slot_id", reason: "ce créneau est déjà passé : choisissez-en un autre.")
        }
        try await req.db.transaction { db in
            try await Self.end(id, as: .closed, chosenSlot: body.slotId, at: now, on: db)
            let session = Session(
                partieID: partie.id, name: poll.name, description: poll.description, scheduledDate: slot.startsAt,
                maxPlayers: poll.maxPlayers, allowLateJoin: poll.allowLateJoin, now: now)
            try await session.create(on: db)
            try await db.sql.update(DatePoll.schema)
                .set("session_id", to: try session.requireID())
                .where("id", .equal, id)
                .run()
            try await Webhooks.enqueue(.sessionScheduled, session: session, partie: partie.partie, at: now, on: db)
            try await PartieChanges.record(partie.id, on: db)
        }
        await req.partieChanged(partie.id)
        req.application.webhooks.poke()
        return try await Self.reload(id, partie: partie, on: req.db)
    }

    func cancel(req: Request) async throws -> PollResponse {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let (_, partie) = try await DatePoll.managed(id, by: caller, on: req.db)
        let now = req.now
        try await req.db.transaction { db in
            try await Self.end(id, as: .cancelled, at: now, on: db)
            try await PartieChanges.record(partie.id, on: db)
        }
        await req.partieChanged(partie.id)
        return try await Self.reload(id, partie: partie, on: req.db)
    }

    /// Closes or cancels the poll if it is still open: a write conditional on its state, so of two
    /// racing ends one wins and the other gets the 409 of the state it finds.
    private static func end(
        _ id: UUID, as status: PollStatus, chosenSlot: UUID? = nil, at now: Date, on db: any Database
    ) async throws {
        var update = db.sql.update(DatePoll.schema)
            .set("status", to: status.rawValue)
            .set("closed_at", to: now)
            .set("updated_at", to: now)
        if let chosenSlot { update = update.set("chosen_slot_id", to: chosenSlot) }
        let ended =
            try await update
            .where("id", .equal, id)
            .where("status", .equal, PollStatus.open.rawValue)
            .returning("id")
            .all()
        guard !ended.isEmpty else {
            throw notOpen(try await DatePoll.find(id, on: db)?.status ?? .cancelled)
        }
    }

    static func notOpen(_ status: PollStatus) -> AppError {
        AppError.conflict(
            "Le sondage est « \(status.rawValue) » (\(status.label)) : il ne prend plus de réponses ni de décision.")
    }

    static func reload(_ id: UUID, partie: VisiblePartie, on db: any Database) async throws -> PollResponse {
        guard let poll = try await DatePoll.find(id, on: db) else { throw DatePoll.notFound }
        return try await responses([poll], partie: partie, on: db)[0]
    }

    /// The polls with their slots, the partie's members and everyone's answers, in three reads
    /// whatever their number. Answers of people who left the partie are not shown.
    static func responses(_ polls: [DatePoll], partie: VisiblePartie, on db: any Database) async throws
        -> [PollResponse]
    {
        let ids = try polls.map { try $0.requireID() }
        guard !ids.isEmpty else { return [] }
        let slots = try await DatePollSlot.query(on: db).filter(\.$poll.$id ~~ ids).sort(\.$startsAt).all()
        let answers = try await DatePollAnswer.query(on: db).filter(\.$poll.$id ~~ ids).all()
        let members = try await PartieMember.query(on: db).filter(\.$partie.$id == partie.id)
            .with(\.$user).sort(\.$joinedAt).all()
            .map { MemberRef(userId: $0.$user.id, username: $0.user.username, displayName: $0.user.displayName) }
        let memberIDs = Set(members.map(\.userId))
        return try polls.map { poll in
            let id = try poll.requireID()
            let own = answers.filter { $0.$poll.id == id && memberIDs.contains($0.$user.id) }
            return PollResponse(
                id: id, partieId: partie.id, name: poll.name, description: poll.description,
                maxPlayers: poll.maxPlayers, allowLateJoin: poll.allowLateJoin, status: poll.status,
                createdAt: poll.createdAt, closedAt: poll.closedAt, chosenSlotId: poll.chosenSlotID,
                sessionId: poll.sessionID,
                slots: try slots.filter { $0.$poll.id == id }.map { slot in
                    let slotID = try slot.requireID()
                    var counts = RSVPSummary.none
                    for answer in own where answer.$slot.id == slotID { counts.add(answer.answer, count: 1) }
                    return PollResponse.Slot(
                        id: slotID, startsAt: slot.startsAt, yes: counts.yes, maybe: counts.maybe, no: counts.no)
                },
                members: members,
                answers: own.map { PollResponse.Answer(userId: $0.$user.id, slotId: $0.$slot.id, answer: $0.answer) },
                isMj: partie.isMJ)
        }
    }
}
