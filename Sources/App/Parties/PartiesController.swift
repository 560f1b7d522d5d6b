import EtrangeDomain
import Fluent
import SQLKit
import Vapor

struct PartiesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let parties = routes.grouped(TokenAuthMiddleware()).grouped("api", "parties")
        parties.post(use: create)
        parties.get(use: list)
        parties.post("join", use: join)
        parties.get(":id", use: show)
        parties.put(":id", use: update)
        parties.delete(":id", use: delete)
        parties.post(":id", "transfer", use: transfer)
        parties.get(":id", "members", use: members)
        parties.delete(":id", "members", "me", use: leave)
        parties.delete(":id", "members", ":user_id", use: removeMember)
        parties.post(":id", "invite", "rotate", use: rotateInvite)
        parties.get(":id", "invite.svg", use: inviteQRCode)
        // Before signing up, whoever holds a code may see whose table it opens.
        routes.get("api", "invitations", ":code", use: previewInvitation)
    }

    func create(req: Request) async throws -> Response {
        let caller = try req.caller
        let body = try req.json(CreatePartieRequest.self)
        let name = try Check.text(body.name, field: "name", length: 1...100, scalars: 100)
        if let scenarioID = body.scenarioId, try await Scenario.find(scenarioID, on: req.db) == nil {
            throw AppError.invalid(field: "scenario_id", reason: "aucun scénario n'a cet identifiant.")
        }
        let length = try body.sessionLengthMinutes.map {
            try Check.integer($0, field: "session_length_minutes", in: Partie.sessionLengths)
        }
        let now = req.now
        // The transaction's first statement is a write: on SQLite a transaction that read first
        // could not take the writer's lock later and would fail instead of waiting. A code that
        // collides (one chance in 10^12) fails the insert, and another is drawn.
        var attempt = 0
        while true {
            attempt += 1
            do {
                let partie = try await req.db.transaction { db in
                    let partie = Partie(
                        name: name, scenarioID: body.scenarioId, mjID: caller.userID,
                        inviteCode: InviteCode.generate(), now: now)
                    if let length { partie.sessionLengthMinutes = length }
                    try await partie.create(on: db)
                    try await PartieMember(partieID: partie.requireID(), userID: caller.userID, now: now).create(on: db)
                    return partie
                }
                return try await Self.responses(for: [partie], caller: caller, req: req)[0]
                    .encodeResponse(status: .created, for: req)
            } catch let error as any DatabaseError where error.isConstraintFailure && attempt < 5 {
                continue
            }
        }
    }

    func update(req: Request) async throws -> PartieResponse {
        let caller = try req.caller
        let body = try req.json(UpdatePartieRequest.self)
        let partie = try await Partie.managed(req.intParameter(), by: caller, on: req.db).partie
        if let name = body.name { partie.name = try Check.text(name, field: "name", length: 1...100, scalars: 100) }
        if let offsets = body.reminderOffsetsMinutes {
            if let refusal = ReminderOffsets.refusal(offsets) {
                throw AppError.invalid(field: "reminder_offsets_minutes", reason: refusal)
            }
            partie.reminderOffsetList = offsets
        }
        if let length = body.sessionLengthMinutes {
            partie.sessionLengthMinutes = try Check.integer(
                length, field: "session_length_minutes", in: Partie.sessionLengths)
        }
        if let observe = body.membersMayObserve { partie.membersMayObserve = observe }
        partie.updatedAt = req.now
        try await req.db.transaction { db in
            try await partie.save(on: db)
            // Their calendar events carry the partie's name and length: calendars must refresh them.
            try await Session.bumpRevisions(partieID: partie.requireID(), on: db)
        }
        return try await Self.responses(for: [partie], caller: caller, req: req)[0]
    }

    func list(req: Request) async throws -> Page<PartieResponse> {
        let caller = try req.caller
        let pageRequest = try PageRequest(req)
        let parties = try await Partie.query(on: req.db)
            .join(PartieMember.self, on: \Partie.$id == \PartieMember.$partie.$id)
            .filter(PartieMember.self, \.$user.$id == caller.userID)
            .sort(\.$createdAt, .descending).sort(\.$id, .descending)
            .paginate(pageRequest)
        return Page(
            items: try await Self.responses(for: parties.items, caller: caller, req: req), metadata: parties.metadata)
    }

    func show(req: Request) async throws -> PartieResponse {
        let caller = try req.caller
        let visible = try await Partie.visible(req.intParameter(), to: caller, on: req.db)
        return try await Self.responses(for: [visible.partie], caller: caller, req: req)[0]
    }

    func members(req: Request) async throws -> [MemberResponse] {
        let caller = try req.caller
        let visible = try await Partie.visible(req.intParameter(), to: caller, on: req.db)
        let members = try await PartieMember.query(on: req.db)
            .filter(\.$partie.$id == visible.id)
            .with(\.$user)
            .sort(\.$joinedAt)
            .all()
        // The MJ first, then players in the order they joined.
        let ordered = members.enumerated().sorted { lhs, rhs in
            let (left, right) = (
                lhs.element.$user.id == visible.partie.$mj.id, rhs.element.$user.id == visible.partie.$mj.id
            )
            return left != right ? left : lhs.offset < rhs.offset
        }.map(\.element)
        return try ordered.map { member in
            MemberResponse(
                userId: try member.user.requireID(), username: member.user.username,
                displayName: member.user.displayName,
                role: member.$user.id == visible.partie.$mj.id ? .mj : .player,
                joinedAt: member.joinedAt)
        }
    }

    func join(req: Request) async throws -> PartieResponse {
        let caller = try req.caller
        let body = try req.json(JoinPartieRequest.self)
        guard let invitation = InviteCode.read(body.inviteCode) else {
            throw AppError.invalid(field: "invite_code", reason: "code d'invitation manquant ou trop long.")
        }
        // Codes that exist cost nothing; each unknown one does, per person and per address.
        let limits = req.application.config.limits
        let reason = "Trop de codes d'invitation essayés."
        let partie = try await req.limitFailures("join:ip:\(req.clientAddress)", limits.joinPerAddress, reason: reason)
        {
            try await req.limitFailures("join:user:\(caller.userID)", limits.joinPerUser, reason: reason) {
                guard let partie = try await Partie.query(on: req.db).filter(invitation).first() else {
                    throw AppError.notFound("Code d'invitation inconnu ou périmé : demandez au MJ le code actuel.")
                }
                return partie
            }
        }
        let partieID = try partie.requireID()
        if try await !Partie.isMember(partieID, userID: caller.userID, on: req.db) {
            do {
                try await PartieMember(partieID: partieID, userID: caller.userID, now: req.now).create(on: req.db)
            } catch let error as any DatabaseError where error.isConstraintFailure {
                // The same person joined from two devices at once: one of them made them a member.
            }
        }
        return try await Self.responses(for: [partie], caller: caller, req: req)[0]
    }

    /// What the invitation page shows before sign-up: the partie's name and its MJ's, nothing else.
    /// Unknown codes count against the same allowance as joining, so that the preview is no
    /// second way to guess codes.
    func previewInvitation(req: Request) async throws -> InvitationPreviewResponse {
        guard let invitation = InviteCode.read(req.parameters.get("code") ?? "") else {
            throw AppError.notFound("Code d'invitation inconnu ou périmé : demandez au MJ le code actuel.")
        }
        let partie = try await req.limitFailures(
            "join:ip:\(req.clientAddress)", req.application.config.limits.joinPerAddress,
            reason: "Trop de codes d'invitation essayés."
        ) {
            guard let partie = try await Partie.query(on: req.db).filter(invitation).with(\.$mj).first()
            else {
                throw AppError.notFound("Code d'invitation inconnu ou périmé : demandez au MJ le code actuel.")
            }
            return partie
        }
        return InvitationPreviewResponse(partieName: partie.name, mjName: partie.mj.displayName ?? partie.mj.username)
    }

    func rotateInvite(req: Request) async throws -> PartieResponse {
        let caller = try req.caller
        let managed = try await Partie.managed(req.intParameter(), by: caller, on: req.db)
        let partie = managed.partie
        for attempt in 0..<5 {
            partie.inviteCode = InviteCode.generate()
            partie.updatedAt = req.now
            do {
                try await partie.save(on: req.db)
                break
            } catch let error as any DatabaseError where error.isConstraintFailure && attempt < 4 {
                continue
            }
        }
        return try await Self.responses(for: [partie], caller: caller, req: req)[0]
    }

    func inviteQRCode(req: Request) async throws -> Response {
        let caller = try req.caller
        let managed = try await Partie.managed(req.intParameter(), by: caller, on: req.db)
        let svg = try QRCode.svg(for: Self.inviteURL(code: managed.partie.inviteCode, on: req))
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "image", subType: "svg+xml")
        headers.cacheControl = .init(noStore: true)
        return Response(status: .ok, headers: headers, body: .init(string: svg))
    }

    static func inviteURL(code: String, on req: Request) -> String {
        "\(req.application.config.publicURL)/invitation/\(code)"
    }

    /// Responses for several parties with a fixed number of queries, whatever their count.
    static func responses(for parties: [Partie], caller: Caller, req: Request) async throws -> [PartieResponse] {
        guard !parties.isEmpty else { return [] }
        let ids = try parties.map { try $0.requireID() }
        let mjs = try await User.query(on: req.db).filter(\.$id ~~ Set(parties.map { $0.$mj.id })).all()
        let mjByID = Dictionary(uniqueKeysWithValues: try mjs.map { (try $0.requireID(), $0) })
        let scenarioIDs = Set(parties.compactMap { $0.$scenario.id })
        let scenarios =
            scenarioIDs.isEmpty ? [] : try await Scenario.query(on: req.db).filter(\.$id ~~ scenarioIDs).all()
        let titleByID = Dictionary(uniqueKeysWithValues: try scenarios.map { (try $0.requireID(), $0.title) })
        struct Count: Decodable {
            let partieId: Int
            let count: Int
        }
        let counts = try await req.db.sql
            .select().column("partie_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "count")
            .from(PartieMember.schema)
            .where("partie_id", .in, ids)
            .groupBy("partie_id")
            .all(decoding: Count.self, keyDecodingStrategy: .convertFromSnakeCase)
        let countByID = Dictionary(uniqueKeysWithValues: counts.map { ($0.partieId, $0.count) })
        return try parties.map { partie in
            let id = try partie.requireID()
            guard let mj = mjByID[partie.$mj.id] else { throw Abort(.internalServerError) }
            let isMJ = partie.$mj.id == caller.userID
            return PartieResponse(
                id: id, name: partie.name,
                scenarioId: partie.$scenario.id, scenarioTitle: partie.$scenario.id.flatMap { titleByID[$0] },
                mjId: partie.$mj.id, mj: try UserSummary(mj), role: isMJ ? .mj : .player,
                inviteCode: isMJ ? partie.inviteCode : nil,
                inviteUrl: isMJ ? inviteURL(code: partie.inviteCode, on: req) : nil,
                reminderOffsetsMinutes: partie.reminderOffsetList,
                memberCount: countByID[id] ?? 0,
                sessionLengthMinutes: partie.sessionLengthMinutes, membersMayObserve: partie.membersMayObserve,
                createdAt: partie.createdAt, updatedAt: partie.updatedAt)
        }
    }
}
