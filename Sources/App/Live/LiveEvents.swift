import EtrangeDomain
import Fluent
import FluentPostgresDriver
import SQLKit
import Vapor

/// The types of event the live channel carries.
enum LiveEventType: String, Sendable, CaseIterable {
    case presenceOnline = "presence.online"
    case presenceOffline = "presence.offline"
    case presenceIdle = "presence.idle"
    case presenceActive = "presence.active"
    case participantJoined = "participant.joined"
    case participantLeft = "participant.left"
    case sessionStatus = "session.status"
    case sessionUpdated = "session.updated"
    case chatMessage = "chat.message"
    case chatEdited = "chat.edited"
    case chatDeleted = "chat.deleted"
    case chatPinned = "chat.pinned"
    case chatUnpinned = "chat.unpinned"
    case cardsDrawn = "cards.drawn"
    case handoutShown = "handout.shown"
    case rsvpAnswered = "rsvp.answered"
    case waitlistUpdated = "waitlist.updated"
    case partieTransferred = "partie.transferred"
}

/// Someone as events name them.
struct PersonEventData: Content {
    let userId: Int
    let username: String
    let displayName: String?
    let characterId: UUID?
    let characterName: String?
    let role: SeatRole?
}

struct StatusEventData: Content {
    let status: SessionStatus
    let startedAt: Date?
    let endedAt: Date?
    let durationMinutes: Int?
}

/// What `session.updated` tells everyone: the session's public fields, never the MJ's notes.
struct SessionUpdatedEventData: Content {
    let name: String
    let description: String?
    let scheduledDate: Date?
    let maxPlayers: Int
    let allowLateJoin: Bool
    let voiceChannelId: String?
    let summary: String?
    let keyEvents: [KeyEventPayload]?
    let characterDevelopments: [CharacterDevelopmentPayload]?
    let cardValues: String

    init(_ session: Session) {
        cardValues = session.cardValues
        name = session.name
        description = session.description
        scheduledDate = session.scheduledDate
        maxPlayers = session.maxPlayers
        allowLateJoin = session.allowLateJoin
        voiceChannelId = session.voiceChannelID
        summary = session.summary
        keyEvents = session.keyEventPayloads
        characterDevelopments = session.characterDevelopmentPayloads
    }
}

enum LiveEvents {
    /// The PostgreSQL channel on which instances tell each other that a session has new events,
    /// as an SQL expression. A notification reaches the whole database, and two servers may share
    /// one, each in its own schema (`ETRANGE_DB_SCHEMA`): there, a member removed from partie 3 of
    /// one would close the sockets of partie 3 of the other. So each schema has its channel, named
    /// from the schema the connection writes in; `md5` keeps any schema's under the 63 bytes of a
    /// name, and the public schema keeps the name it always had.
    static let channel =
        "CASE current_schema() WHEN 'public' THEN 'etrange_live' ELSE 'etrange_live_' || md5(current_schema()) END"

    /// Appends an event to the session's journal, inside the transaction that made the change.
    /// Taking the session's next number locks its row (`NextSeqStatement`) until the transaction
    /// ends, so numbers are handed out one at a time and commit in order, on every instance. The
    /// other instances are told after the commit (`LiveHub.publish`), not by this transaction:
    /// PostgreSQL commits the transactions that notify one at a time, each holding a database-wide
    /// lock through its WAL flush (docs/benchmarks-history.md, the tail at 19,600 connections).
    @discardableResult
    static func record<Data: Encodable>(
        _ type: LiveEventType, in sessionID: UUID, data: Data, at now: Date,
        visibility: EventVisibility = .all, recipientID: Int? = nil, audience: Set<Int> = [], messageID: Int? = nil,
        on db: any Database
    ) async throws -> Int {
        try await record(
            type, in: sessionID, text: try encoded(data), at: now, visibility: visibility, recipientID: recipientID,
            audience: audience, messageID: messageID, on: db)
    }

    /// `record` with the event's data already encoded, by a caller that answers with the same text.
    @discardableResult
    static func record(
        _ type: LiveEventType, in sessionID: UUID, text: String, at now: Date, visibility: EventVisibility,
        recipientID: Int? = nil, audience: Set<Int>, messageID: Int?, on db: any Database
    ) async throws -> Int {
        assert(db.inTransaction, "an event is journaled in the transaction of its change, or its number could be lost")
        let eventID = UUID()
        if db is any PostgresDatabase {
            guard
                let row = try await db.first(
                    PostgresEventStatement(
                        type, id: eventID, in: sessionID, text: text, at: now, visibility: visibility,
                        recipientID: recipientID, messageID: messageID, audience: audience))
            else { throw AppError.notFound("Session introuvable.") }
            return try row.decode(column: "seq", as: Int.self)
        }
        guard let row = try await db.first(NextSeqStatement(in: sessionID)) else {
            throw AppError.notFound("Session introuvable.")
        }
        let seq = try row.decode(column: "journal_seq", as: Int.self)
        _ = try await db.all(
            JournalEntryStatement(
                type, id: eventID, in: sessionID, seq: seq, text: text, at: now, visibility: visibility,
                recipientID: recipientID, messageID: messageID))
        for userID in audience.sorted() {
            _ = try await db.all(AudienceStatement(event: eventID, user: userID))
        }
        return seq
    }

    /// `record` in SQLite's group commit, which hands out the number itself.
    static func record(
        _ type: LiveEventType, in sessionID: UUID, text: String, at now: Date, visibility: EventVisibility,
        recipientID: Int? = nil, audience: Set<Int>, messageID: Int?, in batch: GroupCommit.Batch
    ) throws {
        let eventID = UUID()
        try batch.run(
            JournalEntryStatement(
                type, id: eventID, in: sessionID, seq: try batch.nextSeq(in: sessionID), text: text, at: now,
                visibility: visibility, recipientID: recipientID, messageID: messageID))
        for userID in audience.sorted() {
            try batch.run(AudienceStatement(event: eventID, user: userID))
        }
    }

    /// An event's data as the journal keeps it and the live channel sends it.
    static func encoded(_ data: some Encodable) throws -> String {
        String(decoding: try JSONCoding.encoder.encode(data), as: UTF8.self)
    }

    /// Tells the other instances on PostgreSQL's channel (on SQLite there is one instance): inside
    /// a transaction, at its commit.
    static func notify(_ message: String, on db: any Database) async throws {
        guard db is any PostgresDatabase else { return }
        _ = try await db.all(NotifyStatement(message))
    }

    static func person(userID: Int, characterID: UUID?, role: SeatRole?, on db: any Database) async throws
        -> PersonEventData
    {
        guard let row = try await db.first(PersonStatement(userID: userID, characterID: characterID)) else {
            throw AppError.notFound("Utilisateur introuvable.")
        }
        return PersonEventData(
            userId: userID, username: try row.decode(column: "username", as: String.self),
            displayName: try row.decode(column: "display_name", as: String?.self),
            characterId: try row.decode(column: "character_id", as: UUID?.self),
            characterName: try row.decode(column: "character_name", as: String?.self), role: role)
    }

    static func status(of session: Session, at now: Date) -> StatusEventData {
        StatusEventData(
            status: session.status, startedAt: session.startedAt, endedAt: session.endedAt,
            durationMinutes: SessionDuration.minutes(
                status: session.status, recorded: session.durationMinutes,
                activeTime: session.activeTime, at: now))
    }
}

/// `LiveEvents.record`: the session's next journal number, counted in its row, which stays locked
/// until the transaction ends.
struct NextSeqStatement: HotStatement {
    static let sql = "UPDATE \(Session.schema) SET journal_seq = journal_seq + 1 WHERE id = $1 RETURNING journal_seq"
    let binds: [HotBind]

    init(in sessionID: UUID) {
        binds = [.uuid(sessionID)]
    }
}

/// A row of the journal with its number: `LiveEvents.record`'s, or the one SQLite's group commit gives it.
struct JournalEntryStatement: HotStatement {
    static let sql = """
        INSERT INTO \(SessionEvent.schema) (id, session_id, seq, type, at, data, visibility, recipient_id, message_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """
    let binds: [HotBind]

    init(
        _ type: LiveEventType, id: UUID, in sessionID: UUID, seq: Int, text: String, at now: Date,
        visibility: EventVisibility, recipientID: Int?, messageID: Int?
    ) {
        binds = [
            .uuid(id), .uuid(sessionID), .int(seq), .text(type.rawValue), .date(now), .text(text),
            .text(visibility.rawValue), .int(recipientID), .int(messageID),
        ]
    }
}

/// `LiveEvents.notify`: one message on the instances' channel, prepared once per connection as
/// every message of a chat line sends one.
struct NotifyStatement: HotStatement {
    static let sql = "SELECT pg_notify(\(LiveEvents.channel), $1)"
    let binds: [HotBind]

    init(_ message: String) {
        binds = [.text(message)]
    }
}

/// `LiveHub.publish`'s notice, sent on its own once the change has committed: it need not wait for
/// its own flush, and a transaction that notifies holds a database-wide lock through its flush
/// (docs/benchmarks-history.md, the tail at 19,600 connections).
struct PublishStatement: HotStatement {
    static let sql = "SELECT set_config('synchronous_commit', 'off', true), pg_notify(\(LiveEvents.channel), $1)"
    let binds: [HotBind]

    init(_ message: String) {
        binds = [.text(message)]
    }
}

/// `LiveEvents.record` on PostgreSQL in one round trip, where SQLite takes the number, writes the
/// row and each of its audience in turn: the same writes as `NextSeqStatement`,
/// `JournalEntryStatement` and `AudienceStatement`, the audience by `UNNEST` whatever its number.
/// No session, no number: nothing is written and no row comes back.
struct PostgresEventStatement: HotStatement {
    static let sql = """
        WITH taken AS (
          UPDATE \(Session.schema) SET journal_seq = journal_seq + 1 WHERE id = $1 RETURNING journal_seq
        ), event AS (
          INSERT INTO \(SessionEvent.schema) (id, session_id, seq, type, at, data, visibility, recipient_id, message_id)
          SELECT $2, $1, journal_seq, $3, $4, $5, $6, $7, $8 FROM taken
          RETURNING seq
        ), audience AS (
          INSERT INTO \(EventAudience.schema) (event_id, user_id)
          SELECT $2, a FROM taken, UNNEST(CAST($9 AS BIGINT[])) AS a
        )
        SELECT seq FROM event
        """
    let binds: [HotBind]

    init(
        _ type: LiveEventType, id: UUID, in sessionID: UUID, text: String, at now: Date, visibility: EventVisibility,
        recipientID: Int?, messageID: Int?, audience: Set<Int>
    ) {
        binds = [
            .uuid(sessionID), .uuid(id), .text(type.rawValue), .date(now), .text(text), .text(visibility.rawValue),
            .int(recipientID), .int(messageID), .ints(audience.sorted()),
        ]
    }
}

/// One person, besides the MJ, who receives an event of visibility `mj`.
struct AudienceStatement: HotStatement {
    static let sql = "INSERT INTO \(EventAudience.schema) (event_id, user_id) VALUES ($1, $2)"
    let binds: [HotBind]

    init(event: UUID, user: Int) {
        binds = [.uuid(event), .int(user)]
    }
}

/// `LiveEvents.person`: someone and the character they play, if any, in one read.
struct PersonStatement: HotStatement {
    static let sql = """
        SELECT u.username, u.display_name, c.id AS character_id, c.name AS character_name
        FROM \(User.schema) u LEFT JOIN \(Character.schema) c ON c.id = $1
        WHERE u.id = $2
        """
    let binds: [HotBind]

    init(userID: Int, characterID: UUID?) {
        binds = [.uuid(characterID), .int(userID)]
    }
}
