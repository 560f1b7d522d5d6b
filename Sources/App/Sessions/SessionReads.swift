// Everything that reads a session for a response: the select list, the hot statements that
// run it, `SessionRecord`, and the response built from a row. Writes go through the model
// (`Session`) or the SQLKit builder; access checks are in `Session+Access.swift`.
//
// When a column is added to `sessions`:
// 1. a migration of its own (`Migrations/NNN/`), appended to `Migrations.all`
//    (`Database/Migrations.swift`); a landed one is never edited;
// 2. the field on the `Session` model. The select list is the model's fields
//    (`SessionRecord.columns`), so the single read, both pages and PostgreSQL's prepared
//    statements read the new column with no other edit;
// 3. if responses show it: its property and its decoding line in `SessionRecord` below (rows are
//    read without Fluent's reflection, so this is the one list written by hand), then
//    `SessionResponse` (`SessionDTOs.swift`: the property, `init(record:…)`, `encode(to:)`),
//    `write(to:)` in `SessionResponse+JSON.swift` (JSONWriterTests holds it to `encode(to:)`), and
//    the `Session` schema of `Resources/openapi.json`;
// 4. if a request sets it: its rule in `SessionFields.swift`.

import EtrangeDomain
import Fluent
import Foundation
import SQLKit

/// A session's columns as plain values, which responses are built from, read straight from a row
/// without Fluent's reflection over the model: the session list is a hot path.
struct SessionRecord {
    /// Every column of the `Session` model, as `s.<column>`: the select list of every read below.
    /// Named, never `*` (`HotStatement`), and taken from the model so that they never disagree.
    static let columns = Session.keys.map { "s.\($0)" }.joined(separator: ", ")

    let id: UUID
    let partieID: Int
    let name: String
    let description: String?
    let status: SessionStatus
    let scheduledDate: Date?
    let startedAt: Date?
    let endedAt: Date?
    let durationMinutes: Int?
    let summary: String?
    let keyEvents: [KeyEvent]?
    let characterDevelopments: [CharacterDevelopment]?
    let notes: String?
    let maxPlayers: Int
    let allowLateJoin: Bool
    let voiceChannelID: String?
    let activeTime: RunningTime
    let cardValues: String
    let createdAt: Date
    let updatedAt: Date

    /// A row that read `columns`, through the same driver decoding as the model's.
    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: UUID.self)
        partieID = try row.decode(column: "partie_id", as: Int.self)
        name = try row.decode(column: "name", as: String.self)
        description = try row.decode(column: "description", as: String?.self)
        let rawStatus = try row.decode(column: "status", as: String.self)
        guard let status = SessionStatus(rawValue: rawStatus) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "unknown session status \(rawStatus)"))
        }
        self.status = status
        scheduledDate = try row.decode(column: "scheduled_date", as: Date?.self)
        startedAt = try row.decode(column: "started_at", as: Date?.self)
        endedAt = try row.decode(column: "ended_at", as: Date?.self)
        durationMinutes = try row.decode(column: "duration_minutes", as: Int?.self)
        summary = try row.decode(column: "summary", as: String?.self)
        keyEvents = try row.decode(column: "key_events", as: JSONList<KeyEvent>?.self)?.items
        characterDevelopments = try row.decode(
            column: "character_developments", as: JSONList<CharacterDevelopment>?.self)?.items
        notes = try row.decode(column: "notes", as: String?.self)
        maxPlayers = try row.decode(column: "max_players", as: Int.self)
        allowLateJoin = try row.decode(column: "allow_late_join", as: Bool.self)
        voiceChannelID = try row.decode(column: "voice_channel_id", as: String?.self)
        activeTime = RunningTime(
            accumulatedSeconds: try row.decode(column: "active_seconds", as: Double.self),
            runningSince: try row.decode(column: "active_since", as: Date?.self))
        cardValues = try row.decode(column: "card_values", as: String.self)
        createdAt = try row.decode(column: "created_at", as: Date.self)
        updatedAt = try row.decode(column: "updated_at", as: Date.self)
    }
}

extension SessionResponse {
    /// Sessions as the caller (`$1`) sees them, with every count their responses show, in one
    /// statement: the list pages through it and single-session answers filter it by id, so the
    /// two never disagree. A session outside the caller's parties gives no row. SQLiteNIO keeps no
    /// prepared statements, so this text is compiled at every call there: each subquery and window
    /// costs (docs/benchmarks-history.md), hence one subquery for the caller's seat, and no total. A completed
    /// session's seats count those who played in it: the end frees every seat, and « 0 / 4 » read as
    /// though nobody came. The answers (RSVP) are a second, grouped statement
    /// (`SessionRSVP.summaries`), for the whole page at once.
    static let select = """
        SELECT \(SessionRecord.columns), pt.mj_id,
          (SELECT MAX(CASE WHEN c.is_active THEN 2 ELSE 1 END) FROM \(SessionParticipant.schema) c
             WHERE c.session_id = s.id AND c.user_id = $1) AS caller_seat,
          (SELECT COUNT(*) FROM \(SessionParticipant.schema) p WHERE p.session_id = s.id
             AND p.role IN \(SessionParticipant.seatTakingRoles)
             AND (p.is_active = TRUE OR s.status = '\(SessionStatus.completed.rawValue)')) AS seated_count,
          (SELECT COUNT(*) FROM \(SessionPresence.schema) o WHERE o.session_id = s.id AND o.is_online = TRUE) AS online_count,
          (SELECT COUNT(*) FROM \(SessionWaiter.schema) w WHERE w.session_id = s.id
             AND w.offered_until > $2 AND w.user_id <> $1) AS held_count
        FROM \(Session.schema) s
        JOIN \(Partie.schema) pt ON pt.id = s.partie_id
        \(PartieMember.membership(of: "$1", inPartie: "pt.id"))
        """

    /// The session as `caller` sees it now: on `GET` and after each change.
    static func load(_ id: UUID, caller: Caller, on db: any Database, now: Date) async throws -> SessionResponse {
        guard let row = try await db.first(SessionByID(callerID: caller.userID, sessionID: id, at: now)) else {
            throw AppError.notFound("Session introuvable.")
        }
        var response = try SessionResponse(row: row, callerID: caller.userID, now: now)
        response.rsvp = try await SessionRSVP.summary(of: id, callerID: caller.userID, on: db)
        return response
    }

    /// A row of `select`. `caller_seat` is null when the caller never held a place, 1 for a place
    /// given up, 2 for one still held.
    init(row: any SQLRow, callerID: Int, now: Date) throws {
        let callerSeat = try row.decode(column: "caller_seat", as: Int?.self)
        self.init(
            record: try SessionRecord(row: row), isMJ: try row.decode(column: "mj_id", as: Int.self) == callerID,
            seatedPlayers: try row.decode(column: "seated_count", as: Int.self),
            heldForOthers: try row.decode(column: "held_count", as: Int.self),
            onlineCount: try row.decode(column: "online_count", as: Int.self),
            callerSeat: callerSeat.map { $0 == 2 },
            now: now)
    }

    /// `callerSeat`: nil when the caller never held a place in the session, else whether they still do.
    /// `heldForOthers`: seats the waiting list holds for someone else (`Waitlist`), which the caller
    /// may not take: offers still running now (`select` binds the time as `$2`), the rule
    /// `Waitlist.heldSeats` joins by.
    init(
        record: SessionRecord, isMJ: Bool, seatedPlayers: Int, heldForOthers: Int, onlineCount: Int,
        callerSeat: Bool?, now: Date
    ) {
        let request = SeatRequest(
            status: record.status, allowLateJoin: record.allowLateJoin, maxPlayers: record.maxPlayers,
            seatedPlayers: seatedPlayers + heldForOthers, heldASeat: callerSeat != nil, stillSeated: callerSeat == true,
            role: isMJ ? .master : .player)
        self.init(
            record: record, isMJ: isMJ, seatedPlayers: seatedPlayers, onlineCount: onlineCount,
            canJoin: request.refusal == nil, now: now)
    }
}

/// One session as `SessionResponse.select` reads it.
struct SessionByID: HotStatement {
    static let sql = SessionResponse.select + "\nWHERE s.id = $3"
    let binds: [HotBind]

    init(callerID: Int, sessionID: UUID, at now: Date) {
        binds = [.int(callerID), .date(now), .uuid(sessionID)]
    }
}

/// The first page of a partie's sessions, newest first, optionally of one status (the cast types
/// `$3` for PostgreSQL when the call that prepares it binds no status). Without an `OFFSET`, whose
/// value PostgreSQL cannot guess, its generic plan costs what a custom one does, so it keeps that
/// plan after five calls instead of planning every call again.
struct FirstSessionPage: HotStatement {
    static let sql =
        SessionResponse.select + """

            WHERE s.partie_id = $3 AND (CAST($4 AS TEXT) IS NULL OR s.status = $4)
            ORDER BY s.created_at DESC, s.id DESC LIMIT CAST($5 AS BIGINT)
            """
    let binds: [HotBind]

    init(callerID: Int, partieID: Int, status: SessionStatus?, per: Int, at now: Date) {
        binds = [.int(callerID), .date(now), .int(partieID), .text(status?.rawValue), .int(per)]
    }
}

/// The pages after the first, rarer, planned at each call.
struct LaterSessionPage: HotStatement {
    static let sql = FirstSessionPage.sql + " OFFSET CAST($6 AS BIGINT)"
    let binds: [HotBind]

    init(callerID: Int, partieID: Int, status: SessionStatus?, per: Int, offset: Int, at now: Date) {
        binds =
            FirstSessionPage(callerID: callerID, partieID: partieID, status: status, per: per, at: now).binds
            + [.int(offset)]
    }
}
