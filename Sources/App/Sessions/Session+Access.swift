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
        guard let row = try await db.first(AccessStatement(callerID: caller.userID, sessionID: id)) else {
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
        try await db.sql.update(schema)
            .set(SQLIdentifier("revision"), to: SQLRaw("revision + 1"))
            .where("id", .equal, id)
            .run()
    }

    static func bumpRevisions(partieID: Int, on db: any Database) async throws {
        try await db.sql.update(schema)
            .set(SQLIdentifier("revision"), to: SQLRaw("revision + 1"))
            .where("partie_id", .equal, partieID)
            .run()
    }
}

extension SessionResponse {
    /// Sessions as the caller (`$1`) sees them, with every count their responses show, in one
    /// statement: the list pages through it and single-session answers filter it by id, so the
    /// two never disagree. A session outside the caller's parties gives no row. SQLiteNIO keeps no
    /// prepared statements, so this text is compiled at every call there: each subquery and window
    /// costs (BENCHMARKS.md), hence one subquery for the caller's seat, and no total.
    static let select = """
        SELECT s.id, s.partie_id, s.name, s.description, s.status, s.scheduled_date, s.started_at,
          s.ended_at, s.duration_minutes, s.summary, s.key_events, s.character_developments, s.notes,
          s.max_players, s.allow_late_join, s.voice_channel_id, s.active_seconds, s.active_since,
          s.card_values, s.created_at, s.updated_at, pt.mj_id,
          (SELECT MAX(CASE WHEN c.is_active THEN 2 ELSE 1 END) FROM \(SessionParticipant.schema) c
             WHERE c.session_id = s.id AND c.user_id = $1) AS caller_seat,
          (SELECT COUNT(*) FROM \(SessionParticipant.schema) p WHERE p.session_id = s.id
             AND p.role IN \(SessionParticipant.seatTakingRoles) AND p.is_active = TRUE) AS seated_count,
          (SELECT COUNT(*) FROM \(SessionPresence.schema) o WHERE o.session_id = s.id AND o.is_online = TRUE) AS online_count
        FROM \(Session.schema) s
        JOIN \(Partie.schema) pt ON pt.id = s.partie_id
        \(PartieMember.membership(of: "$1", inPartie: "pt.id"))
        """

    /// The session as `caller` sees it now: on `GET` and after each change.
    static func load(_ id: UUID, caller: Caller, on db: any Database, now: Date) async throws -> SessionResponse {
        guard let row = try await db.first(SessionByID(callerID: caller.userID, sessionID: id)) else {
            throw AppError.notFound("Session introuvable.")
        }
        return try SessionResponse(row: row, callerID: caller.userID, now: now)
    }

    /// A row of `select`. `caller_seat` is null when the caller never held a place, 1 for a place
    /// given up, 2 for one still held.
    init(row: any SQLRow, callerID: Int, now: Date) throws {
        let callerSeat = try row.decode(column: "caller_seat", as: Int?.self)
        self.init(
            record: try SessionRecord(row: row), isMJ: try row.decode(column: "mj_id", as: Int.self) == callerID,
            seatedPlayers: try row.decode(column: "seated_count", as: Int.self),
            onlineCount: try row.decode(column: "online_count", as: Int.self),
            callerSeat: callerSeat.map { $0 == 2 },
            now: now)
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

/// `Session.access`: the partie and its MJ, if the caller (`$1`) is a member.
struct AccessStatement: HotStatement {
    static let sql = """
        SELECT s.partie_id, p.mj_id FROM \(Session.schema) s
        JOIN \(Partie.schema) p ON p.id = s.partie_id
        \(PartieMember.membership(of: "$1", inPartie: "p.id"))
        WHERE s.id = $2
        """
    let binds: [HotBind]

    init(callerID: Int, sessionID: UUID) {
        binds = [.int(callerID), .uuid(sessionID)]
    }
}

/// One session as `SessionResponse.select` reads it.
struct SessionByID: HotStatement {
    static let sql = SessionResponse.select + "\nWHERE s.id = $2"
    let binds: [HotBind]

    init(callerID: Int, sessionID: UUID) {
        binds = [.int(callerID), .uuid(sessionID)]
    }
}

/// The first page of a partie's sessions, newest first, optionally of one status (the cast types
/// `$3` for PostgreSQL when the call that prepares it binds no status). Without an `OFFSET`, whose
/// value PostgreSQL cannot guess, its generic plan costs what a custom one does, so it keeps that
/// plan after five calls instead of planning every call again.
struct FirstSessionPage: HotStatement {
    static let sql = SessionResponse.select + """

        WHERE s.partie_id = $2 AND (CAST($3 AS TEXT) IS NULL OR s.status = $3)
        ORDER BY s.created_at DESC, s.id DESC LIMIT CAST($4 AS BIGINT)
        """
    let binds: [HotBind]

    init(callerID: Int, partieID: Int, status: SessionStatus?, per: Int) {
        binds = [.int(callerID), .int(partieID), .text(status?.rawValue), .int(per)]
    }
}

/// The pages after the first, rarer, planned at each call.
struct LaterSessionPage: HotStatement {
    static let sql = FirstSessionPage.sql + " OFFSET CAST($5 AS BIGINT)"
    let binds: [HotBind]

    init(callerID: Int, partieID: Int, status: SessionStatus?, per: Int, offset: Int) {
        binds = FirstSessionPage(callerID: callerID, partieID: partieID, status: status, per: per).binds + [.int(offset)]
    }
}
