import EtrangeDomain
import Fluent
import SQLKit
import Vapor

/// Joining and leaving a session, presence (who is connected now) and participants (who took
/// part), as the design document's "Rejoindre une session" and "Gestion de la présence" describe.
struct PresenceController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let session = routes.grouped(TokenAuthMiddleware()).grouped("api", "sessions", ":id")
        session.post("join", use: join)
        session.post("leave", use: leave)
        session.get("presence", use: presence)
        session.post("presence", use: connect)
        session.delete("presence", use: disconnect)
        session.get("participants", use: participants)
        session.post("participants", use: addParticipant)
    }

    func join(req: Request) async throws -> ParticipantResponse {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let body = req.hasBody ? try req.json(JoinSessionRequest.self) : JoinSessionRequest()
        if let named = body.sessionId, named != id {
            throw AppError.invalid(field: "session_id", reason: "ne correspond pas à la session de l'adresse.")
        }
        let visible = try await Session.visible(id, to: caller, on: req.db)
        let role = try await Self.joiningRole(asked: body.role, in: visible, on: req.db)
        if let characterID = body.characterId {
            try await Self.checkCharacter(
                characterID, ownedBy: caller.userID, partieID: visible.partie.id, field: "character_id", on: req.db)
        } else if role == .player {
            throw AppError.invalid(field: "character_id", reason: "choisissez le personnage avec lequel vous jouez.")
        }
        let now = req.now
        let participant = try await req.db.transaction { db in
            try await Participation.seat(
                userID: caller.userID, role: role, characterID: body.characterId, in: id,
                lateJoinExempt: false, at: now, on: db)
        }
        await req.announce(id)
        return try await Self.responses(for: [participant], in: id, on: req.db, now: now)[0]
    }

    /// The MJ always sits as master; a member as a player, or as an observer when the partie allows it.
    private static func joiningRole(asked: SeatRole?, in visible: VisibleSession, on db: any Database) async throws
        -> SeatRole
    {
        if visible.partie.isMJ { return .master }
        switch asked ?? .player {
        case .player:
            return .player
        case .master:
            throw AppError.forbidden("Seul le MJ de la partie siège en maître du jeu.")
        case .observer:
            guard try await Partie.find(visible.partie.id, on: db)?.membersMayObserve == true else {
                throw AppError.forbidden(
                    "Dans cette partie, seul le MJ peut installer un observateur : demandez-le-lui.")
            }
            return .observer
        }
    }

    func leave(req: Request) async throws -> ParticipantResponse {
        let caller = try req.caller
        let id = try req.uuidParameter()
        _ = try await Session.visible(id, to: caller, on: req.db)
        let now = req.now
        let participant = try await req.db.transaction { db in
            try await Participation.leave(userID: caller.userID, from: id, at: now, on: db)
        }
        await req.announce(id)
        return try await Self.responses(for: [participant], in: id, on: req.db, now: now)[0]
    }

    func presence(req: Request) async throws -> [PresenceResponse] {
        let caller = try req.caller
        let id = try req.uuidParameter()
        // Visibility and the list in one statement: no row at all means not a member (or no such
        // session); a member's empty list still has the session's row, with nobody in it.
        let rows = try await req.readDB.all(OnlineStatement(callerID: caller.userID, sessionID: id))
        guard !rows.isEmpty else { throw AppError.notFound("Session introuvable.") }
        return try rows.compactMap { row in
            guard let userID = try row.decode(column: "user_id", as: Int?.self) else { return nil }
            return try PresenceResponse(
                onlineRow: row, userID: userID, username: try row.decode(column: "username", as: String.self),
                displayName: try row.decode(column: "display_name", as: String?.self))
        }
    }

    /// A connection or a heartbeat, for a seated participant of a session being played.
    func connect(req: Request) async throws -> PresenceResponse {
        let caller = try req.caller
        try req.limit(
            "presence:\(caller.userID)", req.application.config.limits.heartbeats,
            reason: "Trop de signaux de présence.")
        let id = try req.uuidParameter()
        let active = req.hasBody ? try req.json(HeartbeatRequest.self).active ?? false : false
        let now = req.now
        // Most heartbeats come from someone already online: nothing to announce, nothing locked.
        if let response = try await Participation.touch(caller, in: id, active: active, at: now, on: req.db) {
            return response
        }
        let visible = try await Session.visible(id, to: caller, on: req.db)
        try await req.db.transaction { db in
            try await Participation.heartbeat(
                userID: caller.userID, isMJ: visible.partie.isMJ, in: id, active: active, at: now, on: db)
        }
        await req.announce(id)
        let row = try await SessionPresence.query(on: req.db)
            .filter(\.$session.$id == id).filter(\.$user.$id == caller.userID)
            .with(\.$character).first()
        guard let row else { throw AppError.notFound("Session introuvable.") }
        return PresenceResponse(row, user: caller.user, character: row.character)
    }

    /// Disconnects but keeps the seat. Disconnecting twice is harmless.
    func disconnect(req: Request) async throws -> HTTPStatus {
        let caller = try req.caller
        let id = try req.uuidParameter()
        _ = try await Session.visible(id, to: caller, on: req.db)
        let now = req.now
        try await req.db.transaction { db in
            _ = try await Participation.lockSession(id, on: db)
            try await Participation.disconnect([(caller.userID, now)], from: id, on: db)
        }
        await req.announce(id)
        return .noContent
    }

    func participants(req: Request) async throws -> [ParticipantResponse] {
        let caller = try req.caller
        let id = try req.uuidParameter()
        _ = try await Session.visible(id, to: caller, on: req.db)
        let rows = try await SessionParticipant.query(on: req.db)
            .filter(\.$session.$id == id)
            .sort(\.$joinedAt).sort(\.$user.$id)
            .all()
        return try await Self.responses(for: rows, in: id, on: req.db, now: req.now)
    }

    /// The MJ seats a member of the partie, as player, observer or master. The seat limit holds;
    /// the late-join rule does not, since the MJ decides who comes late.
    func addParticipant(req: Request) async throws -> Response {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let body = try req.json(AddParticipantRequest.self)
        let visible = try await Session.managed(id, by: caller, on: req.db)
        guard try await Partie.isMember(visible.partie.id, userID: body.userId, on: req.db) else {
            throw AppError.invalid(field: "user_id", reason: "cette personne n'est pas membre de la partie.")
        }
        if let characterID = body.characterId {
            try await Self.checkCharacter(
                characterID, ownedBy: body.userId, partieID: visible.partie.id, field: "character_id", on: req.db)
        }
        let now = req.now
        let existed =
            try await SessionParticipant.query(on: req.db)
            .filter(\.$session.$id == id).filter(\.$user.$id == body.userId).count() > 0
        let participant = try await req.db.transaction { db in
            try await Participation.seat(
                userID: body.userId, role: body.role ?? .player, characterID: body.characterId, in: id,
                lateJoinExempt: true, at: now, on: db)
        }
        await req.announce(id)
        let response = try await Self.responses(for: [participant], in: id, on: req.db, now: now)[0]
        return try await response.encodeResponse(status: existed ? .ok : .created, for: req)
    }

    /// A character may be played by its owner, in its own partie (or in any, when it has none).
    static func checkCharacter(_ id: UUID, ownedBy userID: Int, partieID: Int, field: String, on db: any Database)
        async throws
    {
        guard let character = try await Character.live(id, on: db), character.$user.id == userID else {
            throw AppError.invalid(field: field, reason: "aucun personnage de ce joueur n'a cet identifiant.")
        }
        if let own = character.$partie.id, own != partieID {
            throw AppError.invalid(field: field, reason: "ce personnage appartient à une autre partie.")
        }
    }

    static func responses(for participants: [SessionParticipant], in sessionID: UUID, on db: any Database, now: Date)
        async throws -> [ParticipantResponse]
    {
        guard !participants.isEmpty else { return [] }
        let userIDs = Set(participants.map { $0.$user.id })
        let users = Dictionary(
            uniqueKeysWithValues: try await User.query(on: db).filter(\.$id ~~ userIDs).all().map { ($0.id!, $0) })
        let characterIDs = Set(participants.compactMap { $0.$character.id })
        let characters =
            characterIDs.isEmpty
            ? [:]
            : Dictionary(
                uniqueKeysWithValues:
                    try await Character.query(on: db).filter(\.$id ~~ characterIDs).all().map { ($0.id!, $0.name) })
        let presence = Dictionary(
            try await SessionPresence.query(on: db)
                .filter(\.$session.$id == sessionID).filter(\.$isOnline == true).all().map { ($0.$user.id, $0.status) }
        ) { first, _ in first }
        return try participants.map { participant in
            guard let user = users[participant.$user.id] else { throw Abort(.internalServerError) }
            return ParticipantResponse(
                id: try participant.requireID(), sessionId: sessionID, userId: participant.$user.id,
                username: user.username, displayName: user.displayName,
                characterId: participant.$character.id,
                characterName: participant.$character.id.flatMap { characters[$0] },
                role: participant.role, joinedAt: participant.joinedAt, leftAt: participant.leftAt,
                totalTimeMinutes: participant.playedTime.minutes(at: now),
                isActive: participant.isActive, isOnline: presence[participant.$user.id] != nil,
                presence: presence[participant.$user.id] ?? .offline)
        }
    }
}

extension PresenceResponse {
    /// An online presence read with plain SQL: its `character_id`, `character_name`, `joined_at`,
    /// `last_seen`, `last_active_at`, `idle_since` and `left_at` columns.
    init(onlineRow row: any SQLRow, userID: Int, username: String, displayName: String?) throws {
        let lastSeen = try row.decode(column: "last_seen", as: Date.self)
        let idleSince = try row.decode(column: "idle_since", as: Date?.self)
        self.init(
            userId: userID, username: username, displayName: displayName,
            characterId: try row.decode(column: "character_id", as: UUID?.self),
            characterName: try row.decode(column: "character_name", as: String?.self),
            isOnline: true, status: idleSince == nil ? .online : .idle,
            joinedAt: try row.decode(column: "joined_at", as: Date.self), lastSeen: lastSeen,
            lastActiveAt: try row.decode(column: "last_active_at", as: Date?.self) ?? lastSeen,
            idleSince: idleSince, leftAt: try row.decode(column: "left_at", as: Date?.self))
    }

    init(_ row: SessionPresence, user: User, character: Character?) {
        self.init(
            userId: row.$user.id, username: user.username, displayName: user.displayName,
            characterId: row.$character.id, characterName: character?.name,
            isOnline: row.isOnline, status: row.status, joinedAt: row.joinedAt, lastSeen: row.lastSeen,
            lastActiveAt: row.lastActiveAt ?? row.lastSeen, idleSince: row.isOnline ? row.idleSince : nil,
            leftAt: row.leftAt)
    }
}

/// `GET /api/sessions/{id}/presence`: who is online, in the order they came, if the caller (`$1`)
/// is a member of the session's partie.
struct OnlineStatement: HotStatement {
    static let sql = """
        SELECT o.user_id, u.username, u.display_name, o.character_id, c.name AS character_name,
          o.joined_at, o.last_seen, o.last_active_at, o.idle_since, o.left_at
        FROM \(Session.schema) s
        \(PartieMember.membership(of: "$1", inPartie: "s.partie_id"))
        LEFT JOIN \(SessionPresence.schema) o ON o.session_id = s.id AND o.is_online = TRUE
        LEFT JOIN \(User.schema) u ON u.id = o.user_id
        LEFT JOIN \(Character.schema) c ON c.id = o.character_id
        WHERE s.id = $2
        ORDER BY o.joined_at, o.user_id
        """
    let binds: [HotBind]

    init(callerID: Int, sessionID: UUID) {
        binds = [.int(callerID), .uuid(sessionID)]
    }
}
