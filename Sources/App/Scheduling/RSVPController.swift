import EtrangeDomain
import Fluent
import Vapor

/// Answers to a scheduled session: `yes`, `maybe` or `no`, each member's own, until it starts.
struct RSVPController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let session = routes.grouped(TokenAuthMiddleware()).grouped("api", "sessions", ":id")
        session.get("rsvps", use: list)
        session.put("rsvp", use: answer)
    }

    func list(req: Request) async throws -> RSVPListResponse {
        let caller = try req.caller
        let visible = try await Session.visible(req.uuidParameter(), to: caller, on: req.readDB)
        return try await Self.report(visible, callerID: caller.userID, on: req.readDB, now: req.now)
    }

    /// Under the session's lock, so that an answer cannot slip in after the MJ started it: the
    /// start takes the same lock, and the state read here is the one the answer is checked against.
    func answer(req: Request) async throws -> RSVPListResponse {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let body = try req.json(RSVPRequest.self)
        let comment = try Check.optionalText(body.comment, field: "comment", maxLength: RSVPWindow.commentLength)
        let access = try await Session.access(id, of: caller, on: req.readDB)
        let now = req.now
        try await req.db.transaction { db in
            guard let session = try await Participation.lockSession(id, on: db) else {
                throw AppError.notFound("Session introuvable.")
            }
            if let refusal = RSVPWindow.refusal(status: session.status, scheduledDate: session.scheduledDate, now: now)
            {
                throw AppError.conflict(refusal)
            }
            try await SessionRSVP.upsert(
                sessionID: id, userID: caller.userID, answer: body.answer, comment: comment, at: now, on: db)
            let counts = try await SessionRSVP.summary(of: id, callerID: caller.userID, on: db)
            try await LiveEvents.record(
                .rsvpAnswered, in: id,
                data: RSVPEventData(
                    userId: caller.userID, username: caller.user.username, displayName: caller.user.displayName,
                    answer: body.answer, comment: comment, yes: counts.yes, maybe: counts.maybe, no: counts.no),
                at: now, on: db)
            try await PartieChanges.record(access.partieID, on: db)
        }
        await req.announce(id)
        await req.partieChanged(access.partieID)
        let visible = try await Session.visible(id, to: caller, on: req.db)
        return try await Self.report(visible, callerID: caller.userID, on: req.db, now: now)
    }

    static func report(_ visible: VisibleSession, callerID: Int, on db: any Database, now: Date) async throws
        -> RSVPListResponse
    {
        let members = try await PartieMember.query(on: db).filter(\.$partie.$id == visible.partie.id)
            .with(\.$user).sort(\.$joinedAt).all()
        let memberIDs = Set(members.map { $0.$user.id })
        let rows = try await SessionRSVP.query(on: db).filter(\.$session.$id == visible.id).all()
            .filter { memberIDs.contains($0.$user.id) }
        let byUser = Dictionary(uniqueKeysWithValues: rows.map { ($0.$user.id, $0) })
        var counts = RSVPSummary.none
        var answers: [RSVPListResponse.Answer] = []
        for member in members {
            guard let row = byUser[member.$user.id] else { continue }
            counts.add(row.answer, count: 1)
            answers.append(
                .init(
                    userId: member.$user.id, username: member.user.username, displayName: member.user.displayName,
                    answer: row.answer, comment: row.comment, updatedAt: row.updatedAt))
        }
        counts.mine = byUser[callerID].map { MyRSVP(answer: $0.answer, comment: $0.comment) }
        let mjID = visible.partie.partie.$mj.id
        let notAnswered =
            visible.partie.isMJ
            ? members.filter { $0.$user.id != mjID && byUser[$0.$user.id] == nil }.map {
                MemberRef(userId: $0.$user.id, username: $0.user.username, displayName: $0.user.displayName)
            } : nil
        let refusal = RSVPWindow.refusal(
            status: visible.session.status, scheduledDate: visible.session.scheduledDate, now: now)
        return RSVPListResponse(
            sessionId: visible.id, open: refusal == nil, closedReason: refusal, counts: counts, answers: answers,
            notAnswered: notAnswered)
    }
}
