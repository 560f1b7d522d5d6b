import EtrangeDomain
import Fluent
import SQLKit
import Vapor

/// Seats, presence and time played. Every change that depends on who is seated starts by locking
/// the session's row, so that of a hundred players pressing « Rejoindre » on the last seat
/// exactly one gets it: PostgreSQL holds the row lock until the transaction ends, SQLite its
/// single writer lock.
enum Participation {
    /// Locks the session's row for the rest of the transaction and reads it afresh; nil if the
    /// session is gone. The lock is taken by the transaction's first statement, a write, which
    /// also keeps SQLite from having to upgrade a read transaction.
    static func lockSession(_ id: UUID, on db: any Database) async throws -> Session? {
        try await db.sql.update(Session.schema)
            .set(SQLIdentifier("updated_at"), to: SQLIdentifier("updated_at"))
            .where("id", .equal, id)
            .returning(SQLLiteral.all)
            .first()
            .map { try $0.decode(fluentModel: Session.self) }
    }

    /// A heartbeat of someone already online changes nothing that depends on seats or clocks, and
    /// announces nothing unless it wakes them from idle: one conditional write, without the
    /// session's lock, which also checks that they are still a member of the partie. Nil when that
    /// is not the case (offline, waking, not seated, not a member), for the full path to decide
    /// and explain.
    static func touch(_ caller: Caller, in sessionID: UUID, active: Bool, at now: Date, on db: any Database)
        async throws -> PresenceResponse?
    {
        guard let row = try await db.first(TouchStatement(caller.userID, in: sessionID, active: active, at: now)) else {
            return nil
        }
        return try PresenceResponse(
            onlineRow: row, userID: caller.userID, username: caller.user.username,
            displayName: caller.user.displayName)
    }

    /// What a writer in the chat or a drawer of cards needs to know, read by the statement that
    /// takes the session's lock (as `lockSession` does): its state and card values, whether
    /// `userID` holds a place (and as what), and whether they are idle, which under the lock no one
    /// else can change.
    struct Writer {
        let status: SessionStatus
        let cardValues: String
        /// Their role in the session while they hold a place there, nil otherwise.
        let role: SeatRole?
        let idle: Bool

        var seated: Bool { role != nil }

        /// A line in the chat needs a session still open and a writer who holds a place or runs it.
        func mayWriteInChat(isMJ: Bool) throws {
            guard !status.isFinal else {
                throw AppError.conflict(
                    "La session est « \(status.rawValue) » (\(status.label)) : sa discussion est fermée.")
            }
            guard isMJ || seated else { throw AppError.forbidden("Rejoignez la session pour écrire dans son chat.") }
        }

        fileprivate init?(_ row: (any SQLRow)?) throws {
            guard let row, let status = SessionStatus(rawValue: try row.decode(column: "status", as: String.self))
            else { return nil }
            self.status = status
            cardValues = try row.decode(column: "card_values", as: String.self)
            role = try row.decode(column: "seat_role", as: String?.self).flatMap(SeatRole.init(rawValue:))
            idle = try row.decode(column: "idle", as: Bool.self)
        }
    }

    static func lockForWriter(_ userID: Int, in id: UUID, on db: any Database) async throws -> Writer? {
        try Writer(try await db.first(WriterStatement(userID, in: id)))
    }

    /// What `lockForWriter` reads, read without the lock, for a write that checks it still holds.
    static func writerState(_ userID: Int, in id: UUID, on db: any Database) async throws -> Writer? {
        try Writer(try await db.first(WriterStateStatement(userID, in: id)))
    }

    /// `lockForWriter` then `active` in SQLite's group commit, whose transaction holds the only
    /// write lock: the writer's state, once they are marked active (once per batch). An idle
    /// writer's waking journals more than the batch says, so it takes a transaction.
    static func writer(_ userID: Int, in id: UUID, at now: Date, in batch: GroupCommit.Batch) throws -> Writer {
        guard let writer = try Writer(try batch.first(WriterStateStatement(userID, in: id))) else {
            throw AppError.notFound("Session introuvable.")
        }
        guard !writer.idle else { throw NeedsTransaction() }
        if batch.firstActivity(of: userID, in: id) { try batch.run(ActiveStatement(userID, in: id, at: now)) }
        return writer
    }

    /// The participant's place if it is still held.
    static func seat(of userID: Int, in sessionID: UUID, on db: any Database) async throws -> SessionParticipant? {
        try await SessionParticipant.query(on: db)
            .filter(\.$session.$id == sessionID).filter(\.$user.$id == userID).filter(\.$isActive == true)
            .first()
    }

    static func seatedPlayers(in sessionID: UUID, excluding userID: Int? = nil, on db: any Database) async throws -> Int
    {
        let query = SessionParticipant.query(on: db)
            .filter(\.$session.$id == sessionID)
            .filter(\.$role ~~ SeatRole.seatTaking)
            .filter(\.$isActive == true)
        if let userID { query.filter(\.$user.$id != userID) }
        return try await query.count()
    }

    /// Takes (or takes back) a place in the session, inside the caller's transaction. `online`
    /// makes the person present at once, as joining a running session does.
    static func seat(
        userID: Int, role: SeatRole, characterID: UUID?, in sessionID: UUID,
        lateJoinExempt: Bool, at now: Date, on db: any Database
    ) async throws -> SessionParticipant {
        guard let session = try await lockSession(sessionID, on: db) else {
            throw AppError.notFound("Session introuvable.")
        }
        // Under the lock: someone leaving the partie meanwhile (`PartiesController.removeMember`)
        // either had their seat seen and ended, or takes none now.
        guard try await Partie.isMember(session.$partie.id, userID: userID, on: db) else {
            throw AppError.notFound("Cette personne ne fait plus partie de la partie.")
        }
        // The character's row is locked too: its deletion either committed first and is seen
        // here, or waits for this seat and then refuses (`CharactersController.delete`).
        if let characterID, try await !Character.lockLive(characterID, on: db) {
            throw AppError.notFound("Personnage introuvable.")
        }
        let existing = try await SessionParticipant.query(on: db)
            .filter(\.$session.$id == sessionID).filter(\.$user.$id == userID).first()
        let request = SeatRequest(
            status: session.status, allowLateJoin: session.allowLateJoin, maxPlayers: session.maxPlayers,
            seatedPlayers: try await seatedPlayers(in: sessionID, excluding: userID, on: db)
                + (role.takesASeat
                    ? try await Waitlist.heldSeats(in: sessionID, excluding: userID, at: now, on: db) : 0),
            heldASeat: existing != nil || lateJoinExempt,
            stillSeated: existing?.isActive == true && existing?.role.takesASeat == true,
            role: role)
        if let refusal = request.refusal { throw AppError.conflict(refusal.reason) }

        let wasSeated = existing?.isActive == true
        let gaveUpASeat = wasSeated && existing?.role.takesASeat == true && !role.takesASeat
        let participant = existing ?? SessionParticipant()
        if existing == nil {
            participant.$session.id = sessionID
            participant.$user.id = userID
            participant.joinedAt = now
            participant.playedSeconds = 0
            participant.createdAt = now
        }
        participant.role = role
        if let characterID { participant.$character.id = characterID }
        participant.isActive = true
        participant.leftAt = nil
        participant.updatedAt = now
        try await participant.save(on: db)
        if !wasSeated {
            try await LiveEvents.record(
                .participantJoined, in: sessionID,
                data: try await LiveEvents.person(
                    userID: userID, characterID: participant.$character.id, role: role, on: db), at: now, on: db)
        }

        if session.status.isRunning {
            try await connect(participant, session: session, at: now, on: db)
        }
        // A player who becomes an observer leaves a seat for the list; one who takes a seat leaves
        // the list, with the seat it may have held for them.
        if gaveUpASeat { try await Waitlist.fillFreeSeats(in: session, at: now, on: db) }
        if role.takesASeat {
            try await SessionWaiter.query(on: db).filter(\.$session.$id == sessionID).filter(\.$user.$id == userID)
                .delete()
        }
        return participant
    }

    /// Gives the seat up, inside the caller's transaction: offline, inactive, time settled. A seat
    /// freed goes at once to the waiting list (`Waitlist`).
    static func leave(
        userID: Int, from sessionID: UUID, at now: Date, on db: any Database
    ) async throws -> SessionParticipant {
        guard let session = try await lockSession(sessionID, on: db) else {
            throw AppError.notFound("Session introuvable.")
        }
        guard !session.status.isFinal else {
            throw AppError.conflict(
                "La session est « \(session.status.rawValue) » (\(session.status.label)) : il n'y a plus de place à quitter."
            )
        }
        guard let participant = try await seat(of: userID, in: sessionID, on: db) else {
            throw AppError.conflict("Vous n'avez pas de place dans cette session.")
        }
        try await disconnect([(userID, now)], from: sessionID, on: db)
        participant.isActive = false
        participant.leftAt = now
        participant.updatedAt = now
        try await participant.save(on: db)
        try await LiveEvents.record(
            .participantLeft, in: sessionID,
            data: try await LiveEvents.person(
                userID: userID, characterID: participant.$character.id, role: participant.role, on: db), at: now, on: db
        )
        if participant.role.takesASeat {
            try await Waitlist.fillFreeSeats(in: session, at: now, on: db)
        }
        return participant
    }

    /// A connection or a heartbeat of a seated participant, inside the caller's transaction. The
    /// partie's MJ needs no seat first: they are seated as master.
    static func heartbeat(
        userID: Int, isMJ: Bool, in sessionID: UUID, active: Bool = false, at now: Date, on db: any Database
    ) async throws {
        guard let session = try await lockSession(sessionID, on: db) else {
            throw AppError.notFound("Session introuvable.")
        }
        guard session.status.isRunning else {
            throw AppError.conflict(
                "La session est « \(session.status.rawValue) » (\(session.status.label)) : on ne peut s'y connecter que pendant qu'elle se joue."
            )
        }
        guard let participant = try await seat(of: userID, in: sessionID, on: db) else {
            guard isMJ else {
                throw AppError.conflict("Rejoignez d'abord la session : seuls les participants y sont présents.")
            }
            _ = try await seat(
                userID: userID, role: .master, characterID: nil, in: sessionID,
                lateJoinExempt: true, at: now, on: db)
            return
        }
        try await connect(participant, session: session, active: active, at: now, on: db)
    }

    /// Marks the participant online (a connection or a heartbeat) and starts their clock when the
    /// session is active.
    static func connect(
        _ participant: SessionParticipant, session: Session, active: Bool = true, at now: Date, on db: any Database
    ) async throws {
        let sessionID = try session.requireID()
        let presence =
            try await SessionPresence.query(on: db)
            .filter(\.$session.$id == sessionID).filter(\.$user.$id == participant.$user.id).first()
            ?? {
                let presence = SessionPresence()
                presence.$session.id = sessionID
                presence.$user.id = participant.$user.id
                presence.joinedAt = now
                return presence
            }()
        let cameOnline = !(presence.id != nil && presence.isOnline)
        let cameBack = !cameOnline && active && presence.idleSince != nil
        presence.$character.id = participant.$character.id
        presence.isOnline = true
        presence.lastSeen = now
        presence.leftAt = nil
        if cameOnline || active || presence.lastActiveAt == nil {
            presence.lastActiveAt = now
            presence.idleSince = nil
        }
        try await presence.save(on: db)
        if session.status == .active, participant.playingSince == nil {
            participant.playingSince = now
            try await participant.save(on: db)
        }
        if cameOnline || cameBack {
            try await LiveEvents.record(
                cameOnline ? .presenceOnline : .presenceActive, in: sessionID,
                data: try await LiveEvents.person(
                    userID: participant.$user.id, characterID: participant.$character.id, role: participant.role, on: db
                ), at: now, on: db)
        }
    }

    /// A sign of the person themselves (a message, a draw), inside a transaction holding the
    /// session's lock: they are active again if they were `idle`, as read under that lock.
    static func active(userID: Int, in sessionID: UUID, idle: Bool, at now: Date, on db: any Database) async throws {
        _ = try await db.all(ActiveStatement(userID, in: sessionID, at: now))
        if idle { try await announce(.presenceActive, of: userID, in: sessionID, at: now, on: db) }
    }

    /// Journals a presence change of `userID`, described by their seat as the other presence events are.
    private static func announce(
        _ type: LiveEventType, of userID: Int, in sessionID: UUID, at now: Date, on db: any Database
    ) async throws {
        let participant = try await seat(of: userID, in: sessionID, on: db)
        try await LiveEvents.record(
            type, in: sessionID,
            data: try await LiveEvents.person(
                userID: userID, characterID: participant?.$character.id, role: participant?.role, on: db), at: now,
            on: db)
    }

    /// Announces idle every online person with no sign of their own since `now - after`.
    /// Returns the sessions that changed.
    @discardableResult
    static func markIdle(now: Date, after: TimeInterval, on db: any Database) async throws -> Set<UUID> {
        let cutoff = now.addingTimeInterval(-after)
        let quiet = try await SessionPresence.query(on: db)
            .filter(\.$isOnline == true)
            .filter(\.$idleSince == nil)
            .filter(\.$lastActiveAt < cutoff)
            .all()
        var changed: Set<UUID> = []
        for presence in quiet {
            let sessionID = presence.$session.id
            let userID = presence.$user.id
            let since = (presence.lastActiveAt ?? now).addingTimeInterval(after)
            let took = try await db.transaction { db -> Bool in
                _ = try await lockSession(sessionID, on: db)
                // Still quiet under the lock: a message that arrived meanwhile wins.
                let rows = try await db.sql.update(SessionPresence.schema)
                    .set("idle_since", to: since)
                    .where("session_id", .equal, sessionID).where("user_id", .equal, userID)
                    .where("is_online", .equal, true).where("idle_since", .is, SQLLiteral.null)
                    .where("last_active_at", .lessThan, cutoff)
                    .returning("id")
                    .all()
                guard !rows.isEmpty else { return false }
                try await announce(.presenceIdle, of: userID, in: sessionID, at: now, on: db)
                return true
            }
            if took { changed.insert(sessionID) }
        }
        return changed
    }

    /// Takes offline, each at their own instant (now, or the socket's close), those of `leaving`
    /// who are still online in the session, inside a transaction holding its lock: their clocks
    /// stop then, and each goes with a `presence.offline` event stamped `now` (the sweeper's
    /// instant) or, without it, their own; seats are kept.
    /// In plain SQL, three statements a person and one for them all:
    /// when a server restarts or a network drops, every socket closes at once, and through Fluent
    /// settling 19,600 people kept the server busy for over a minute (docs/benchmarks-history.md).
    static func disconnect(
        _ leaving: [(userID: Int, until: Date)], from sessionID: UUID, at now: Date? = nil, on db: any Database
    ) async throws {
        guard !leaving.isEmpty else { return }
        let sql = db.sql
        let people = try await sql.raw(
            """
            SELECT u.id AS user_id, u.username, u.display_name, p.character_id, c.name AS character_name, p.role,
              p.played_seconds, p.playing_since
            FROM \(ident: User.schema) u
            LEFT JOIN \(ident: SessionParticipant.schema) p ON p.user_id = u.id AND p.session_id = \(bind: sessionID)
            LEFT JOIN \(ident: Character.schema) c ON c.id = p.character_id
            WHERE u.id IN (\(binds: leaving.map(\.userID)))
            """
        ).all()
        let byUser = Dictionary(
            try people.map { (try $0.decode(column: "user_id", as: Int.self), $0) },
            uniquingKeysWith: { first, _ in first })
        for (userID, until) in leaving {
            guard let person = byUser[userID] else { continue }
            let wentOffline = try await sql.update(SessionPresence.schema)
                .set("is_online", to: false).set("left_at", to: until).set("idle_since", to: SQLLiteral.null)
                .where("session_id", .equal, sessionID).where("user_id", .equal, userID).where(
                    "is_online", .equal, true
                )
                .returning("id")
                .all()
            let role = try person.decode(column: "role", as: String?.self).flatMap(SeatRole.init(rawValue:))
            if role != nil {
                let played = RunningTime(
                    accumulatedSeconds: try person.decode(column: "played_seconds", as: Double.self),
                    runningSince: try person.decode(column: "playing_since", as: Date?.self)
                )
                .stopped(at: until)
                try await sql.update(SessionParticipant.schema)
                    .set("played_seconds", to: played.seconds).set("playing_since", to: SQLLiteral.null)
                    .set("total_time_minutes", to: played.minutes)
                    .where("session_id", .equal, sessionID).where("user_id", .equal, userID)
                    .run()
            }
            if !wentOffline.isEmpty {
                let data = PersonEventData(
                    userId: userID, username: try person.decode(column: "username", as: String.self),
                    displayName: try person.decode(column: "display_name", as: String?.self),
                    characterId: try person.decode(column: "character_id", as: UUID?.self),
                    characterName: try person.decode(column: "character_name", as: String?.self), role: role)
                try await LiveEvents.record(.presenceOffline, in: sessionID, data: data, at: now ?? until, on: db)
            }
        }
    }

    static func stopClock(_ participant: SessionParticipant, at instant: Date, on db: any Database) async throws {
        participant.stopClock(at: instant)
        try await participant.save(on: db)
    }

    /// Follows a move of the session, inside its transaction: pausing stops every clock, resuming
    /// restarts those of the people online, the end takes everyone offline and settles their time.
    static func sessionMoved(_ sessionID: UUID, to status: SessionStatus, at now: Date, on db: any Database)
        async throws
    {
        let participants = try await SessionParticipant.query(on: db).filter(\.$session.$id == sessionID).all()
        switch status {
        case .active:
            let online = Set(
                try await SessionPresence.query(on: db)
                    .filter(\.$session.$id == sessionID).filter(\.$isOnline == true).all().map { $0.$user.id })
            for participant in participants
            where participant.isActive && online.contains(participant.$user.id) && participant.playingSince == nil {
                participant.playingSince = now
                try await participant.save(on: db)
            }
        case .paused:
            for participant in participants where participant.playingSince != nil {
                try await stopClock(participant, at: now, on: db)
            }
        case .completed, .cancelled:
            try await SessionPresence.query(on: db)
                .filter(\.$session.$id == sessionID).filter(\.$isOnline == true)
                .set(\.$isOnline, to: false).set(\.$leftAt, to: now)
                .update()
            for participant in participants {
                participant.stopClock(at: now)
                if participant.isActive {
                    participant.isActive = false
                    participant.leftAt = now
                }
                participant.updatedAt = now
                try await participant.save(on: db)
            }
        case .scheduled:
            break
        }
    }

    /// Takes offline every presence not heard from since `now - timeout`, its clock stopped at the
    /// last sign of life. Returns the (session, user) pairs swept.
    @discardableResult
    static func sweep(now: Date, timeout: TimeInterval, on db: any Database) async throws -> [(UUID, Int)] {
        let cutoff = now.addingTimeInterval(-timeout)
        let stale = try await SessionPresence.query(on: db)
            .filter(\.$isOnline == true)
            .filter(\.$lastSeen < cutoff)
            .all()
        var swept: [(UUID, Int)] = []
        for presence in stale {
            let sessionID = presence.$session.id
            let userID = presence.$user.id
            let lastSeen = presence.lastSeen
            let took = try await db.transaction { db -> Bool in
                _ = try await lockSession(sessionID, on: db)
                // Still stale under the lock: a heartbeat that arrived meanwhile wins.
                guard
                    try await SessionPresence.query(on: db)
                        .filter(\.$session.$id == sessionID).filter(\.$user.$id == userID)
                        .filter(\.$isOnline == true).filter(\.$lastSeen < cutoff)
                        .count() > 0
                else { return false }
                try await disconnect([(userID, lastSeen)], from: sessionID, at: now, on: db)
                return true
            }
            if took { swept.append((sessionID, userID)) }
        }
        return swept
    }
}

extension SessionParticipant {
    var playedTime: RunningTime {
        RunningTime(accumulatedSeconds: playedSeconds, runningSince: playingSince)
    }

    /// Stops the clock at `instant`: the time played so far is kept, and the total in minutes.
    func stopClock(at instant: Date) {
        let played = playedTime.stopped(at: instant)
        playedSeconds = played.seconds
        playingSince = nil
        totalTimeMinutes = played.minutes
    }
}

/// A heartbeat of someone online, if they are a member of the session's partie: `$1` the time,
/// `$2` whether they touched the screen (which does not wake an idle person: that is announced,
/// so it takes the locked path).
struct TouchStatement: HotStatement {
    static let sql = """
        UPDATE \(SessionPresence.schema)
        SET last_seen = $1, last_active_at = CASE WHEN $2 THEN $1 ELSE last_active_at END
        WHERE session_id = $3 AND user_id = $4 AND is_online = TRUE AND (NOT $2 OR idle_since IS NULL)
          AND EXISTS (SELECT 1 FROM \(Session.schema) s
            \(PartieMember.membership(of: "$4", inPartie: "s.partie_id"))
            WHERE s.id = $3)
        RETURNING character_id, joined_at, last_seen, last_active_at, idle_since, left_at,
          (SELECT c.name FROM \(Character.schema) c WHERE c.id = character_id) AS character_name
        """
    let binds: [HotBind]

    init(_ userID: Int, in sessionID: UUID, active: Bool, at now: Date) {
        binds = [.date(now), .bool(active), .uuid(sessionID), .int(userID)]
    }
}

/// `Participation.active`: the person did something in the session, so they are not idle.
struct ActiveStatement: HotStatement {
    static let sql = """
        UPDATE \(SessionPresence.schema) SET last_active_at = $1, idle_since = NULL
        WHERE session_id = $2 AND user_id = $3
        """
    let binds: [HotBind]

    init(_ userID: Int, in sessionID: UUID, at now: Date) {
        binds = [.date(now), .uuid(sessionID), .int(userID)]
    }
}

/// `Participation.lockForWriter`: the session's row lock, taken by a write that changes nothing,
/// and what a writer needs to know under it.
struct WriterStatement: HotStatement {
    /// What a writer needs to know, from the session's row (`$1`) and about the person (`$2`).
    static let columns = """
        status, card_values, \(seatRole(session: "$1", user: "$2")) AS seat_role,
          \(idle(session: "$1", user: "$2")) AS idle
        """

    /// The role of the person's seat, NULL without one; the parameters are placeholders, so that
    /// `PostgresLineStatement` checks what was read by the same expressions.
    static func seatRole(session: String, user: String) -> String {
        """
        (SELECT p.role FROM \(SessionParticipant.schema) p WHERE p.session_id = \(session) AND p.user_id = \(user)
            AND p.is_active = TRUE)
        """
    }

    static func idle(session: String, user: String) -> String {
        """
        EXISTS (SELECT 1 FROM \(SessionPresence.schema) o WHERE o.session_id = \(session) AND o.user_id = \(user)
            AND o.idle_since IS NOT NULL)
        """
    }
    static let sql = "UPDATE \(Session.schema) SET updated_at = updated_at WHERE id = $1 RETURNING \(columns)"
    let binds: [HotBind]

    init(_ userID: Int, in sessionID: UUID) {
        binds = [.uuid(sessionID), .int(userID)]
    }
}

/// What `WriterStatement` reads, without taking the lock: in SQLite's group commit, whose
/// transaction already holds the only write lock; on PostgreSQL, before a chat line's one
/// statement, which writes only if it still holds once it has the lock (`PostgresLineStatement`).
struct WriterStateStatement: HotStatement {
    static let sql = "SELECT \(WriterStatement.columns) FROM \(Session.schema) WHERE id = $1"
    let binds: [HotBind]

    init(_ userID: Int, in sessionID: UUID) {
        binds = [.uuid(sessionID), .int(userID)]
    }
}
