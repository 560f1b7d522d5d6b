import EtrangeDomain
import Fluent
import SQLKit
import Vapor

/// A session with the partie it belongs to, as one caller sees it.
struct VisibleSession {
    let session: Session
    let id: UUID
    let partie: VisiblePartie
}

/// What hot paths need to know of a session and its caller, read without models.
struct SessionAccess {
    let partieID: Int
    let isMJ: Bool
}

extension Session {
    /// `visible` for paths that need no more than the partie and the caller's role: one small read.
    static func access(_ id: UUID, of caller: Caller, on db: any Database) async throws -> SessionAccess {
        guard let row = try await (db as! any SQLDatabase).raw("""
            SELECT s.partie_id, p.mj_id FROM \(ident: Session.schema) s
            JOIN \(ident: Partie.schema) p ON p.id = s.partie_id
            JOIN \(ident: PartieMember.schema) m ON m.partie_id = p.id AND m.user_id = \(bind: caller.userID)
            WHERE s.id = \(bind: id)
            """).first()
        else {
            throw AppError.notFound("Session introuvable.")
        }
        return SessionAccess(partieID: try row.decode(column: "partie_id", as: Int.self),
                             isMJ: try row.decode(column: "mj_id", as: Int.self) == caller.userID)
    }

    /// The session if the caller belongs to its partie; a 404 for anyone else, as for a session
    /// that does not exist.
    static func visible(_ id: UUID, to caller: Caller, on db: any Database) async throws -> VisibleSession {
        // One query for the session, its partie and the caller's membership: nearly every session
        // endpoint starts here.
        guard let session = try await Session.query(on: db)
            .filter(\.$id == id)
            .join(Partie.self, on: \Session.$partie.$id == \Partie.$id)
            .join(PartieMember.self, on: \Partie.$id == \PartieMember.$partie.$id)
            .filter(PartieMember.self, \.$user.$id == caller.userID)
            .first(),
            let partie = try? session.joined(Partie.self), let partieID = partie.id
        else {
            throw AppError.notFound("Session introuvable.")
        }
        return VisibleSession(session: session, id: id,
                              partie: VisiblePartie(partie: partie, id: partieID, isMJ: partie.$mj.id == caller.userID))
    }

    /// Like `visible`, for what only the partie's MJ may do; other members get a 403.
    static func managed(_ id: UUID, by caller: Caller, on db: any Database) async throws -> VisibleSession {
        let visible = try await visible(id, to: caller, on: db)
        guard visible.partie.isMJ else {
            throw AppError.forbidden("Seul le MJ de la partie peut gérer ses sessions.")
        }
        return visible
    }
}

/// What the responses count, for several sessions at once.
extension Session {
    /// Counted in SQL, so two changes at once each count.
    static func bumpRevision(_ id: UUID, on db: any Database) async throws {
        try await (db as! any SQLDatabase).update(schema)
            .set(SQLIdentifier("revision"), to: SQLRaw("revision + 1"))
            .where("id", .equal, id)
            .run()
    }

    static func bumpRevisions(partieID: Int, on db: any Database) async throws {
        try await (db as! any SQLDatabase).update(schema)
            .set(SQLIdentifier("revision"), to: SQLRaw("revision + 1"))
            .where("partie_id", .equal, partieID)
            .run()
    }
}

struct SessionCounts {
    var seated: [UUID: Int] = [:]
    var online: [UUID: Int] = [:]
    /// Sessions where the caller holds a place, and whether it is still active.
    var callerSeat: [UUID: Bool] = [:]

    static func load(for ids: [UUID], callerID: Int, on db: any Database) async throws -> SessionCounts {
        guard !ids.isEmpty else { return SessionCounts() }
        let sql = db as! any SQLDatabase
        struct Count: Decodable { let sessionId: UUID; let count: Int }
        let seated = try await sql.select()
            .column("session_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "count")
            .from(SessionParticipant.schema)
            .where("session_id", .in, ids).where("role", .equal, SeatRole.player.rawValue).where("is_active", .equal, true)
            .groupBy("session_id")
            .all(decoding: Count.self, keyDecodingStrategy: .convertFromSnakeCase)
        let online = try await sql.select()
            .column("session_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "count")
            .from(SessionPresence.schema)
            .where("session_id", .in, ids).where("is_online", .equal, true)
            .groupBy("session_id")
            .all(decoding: Count.self, keyDecodingStrategy: .convertFromSnakeCase)
        let seats = try await SessionParticipant.query(on: db)
            .filter(\.$session.$id ~~ ids).filter(\.$user.$id == callerID)
            .all()
        var counts = SessionCounts()
        counts.seated = Dictionary(uniqueKeysWithValues: seated.map { ($0.sessionId, $0.count) })
        counts.online = Dictionary(uniqueKeysWithValues: online.map { ($0.sessionId, $0.count) })
        counts.callerSeat = Dictionary(seats.map { ($0.$session.id, $0.isActive) }, uniquingKeysWith: { $0 || $1 })
        return counts
    }
}

extension SessionResponse {
    /// Responses for sessions of one partie, with a fixed number of queries.
    static func build(_ sessions: [Session], partie: VisiblePartie, caller: Caller, on db: any Database, now: Date) async throws -> [SessionResponse] {
        let counts = try await SessionCounts.load(for: sessions.map { try $0.requireID() }, callerID: caller.userID, on: db)
        return try sessions.map { session in
            let id = try session.requireID()
            return SessionResponse(record: try SessionRecord(session), isMJ: partie.isMJ, seatedPlayers: counts.seated[id] ?? 0,
                                   onlineCount: counts.online[id] ?? 0, callerSeat: counts.callerSeat[id], now: now)
        }
    }

    static func build(_ visible: VisibleSession, caller: Caller, on db: any Database, now: Date) async throws -> SessionResponse {
        try await build([visible.session], partie: visible.partie, caller: caller, on: db, now: now)[0]
    }

    /// `callerSeat`: nil when the caller never held a place in the session, else whether they still do.
    init(record: SessionRecord, isMJ: Bool, seatedPlayers: Int, onlineCount: Int, callerSeat: Bool?, now: Date) {
        let request = SeatRequest(
            status: record.status, allowLateJoin: record.allowLateJoin, maxPlayers: record.maxPlayers,
            seatedPlayers: seatedPlayers, heldASeat: callerSeat != nil, stillSeated: callerSeat == true,
            role: isMJ ? .master : .player)
        self.init(record: record, isMJ: isMJ, seatedPlayers: seatedPlayers, onlineCount: onlineCount,
                  canJoin: request.refusal == nil, now: now)
    }
}
