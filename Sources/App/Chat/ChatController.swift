import EtrangeDomain
import Fluent
import FluentPostgresDriver
import SQLKit
import Vapor

/// The session's chat: participants' words, private lines, the MJ's announcements, the results of
/// public draws, and what happens to the session, all as events on the live channel too.
struct ChatController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let session = routes.grouped(TokenAuthMiddleware()).grouped("api", "sessions", ":id")
        session.get("messages", use: list)
        session.post("messages", use: post)
        let corrections = ChatCorrections()
        session.patch("messages", ":message", use: corrections.edit)
        session.delete("messages", ":message", use: corrections.delete)
        session.put("messages", ":message", "pin", use: corrections.pin)
        session.delete("messages", ":message", "pin", use: corrections.unpin)
    }

    func post(req: Request) async throws -> Response {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let body = try req.json(PostMessageRequest.self)
        let text = try Check.text(body.body, field: "body", length: 1...2000)
        let access = try await Session.access(id, of: caller, on: req.readDB)
        let scope = body.scope ?? .public
        let recipients = try await Self.recipients(of: body, scope: scope, access: access, on: req.readDB)
        try req.limit(
            "chat:\(caller.userID)", req.application.config.limits.chat, reason: "Trop de messages d'affilée.")
        let now = req.now
        let line = Chat.NewLine(
            kind: .text, body: text, author: caller.user, scope: scope, recipients: recipients,
            pinned: body.pinned == true, sessionID: id, at: now)
        let posted: Chat.Posted
        do {
            if let group = req.application.groupCommit {
                posted = try await group.submit { batch in
                    try Participation.writer(caller.userID, in: id, at: now, in: batch).mayWriteInChat(
                        isMJ: access.isMJ)
                    return try Chat.post(line, in: batch)
                }
            } else {
                posted = try await Chat.postAtOnce(line, by: caller.userID, isMJ: access.isMJ, on: req.db)
            }
        } catch is NeedsTransaction {
            posted = try await req.db.transaction { db -> Chat.Posted in
                guard let writer = try await Participation.lockForWriter(caller.userID, in: id, on: db) else {
                    throw AppError.notFound("Session introuvable.")
                }
                try writer.mayWriteInChat(isMJ: access.isMJ)
                try await Participation.active(userID: caller.userID, in: id, idle: writer.idle, at: now, on: db)
                return try await Chat.post(line, on: db)
            }
        }
        await req.announce(id)
        return .json(posted.json, status: .created)
    }

    /// Checks who a line may be for: the MJ chooses players of the partie for a private line and
    /// alone makes announcements; a player's private line goes to the MJ and no one else.
    private static func recipients(
        of body: PostMessageRequest, scope: MessageScope, access: SessionAccess, on db: any Database
    ) async throws -> [UserSummary] {
        let chosen = body.recipientIds ?? []
        if body.pinned == true && scope != .announcement {
            throw AppError.invalid(field: "pinned", reason: "seule une annonce peut être épinglée.")
        }
        switch scope {
        case .public:
            guard chosen.isEmpty else {
                throw AppError.invalid(field: "recipient_ids", reason: "un message public n'a pas de destinataires.")
            }
            return []
        case .announcement:
            guard access.isMJ else { throw AppError.forbidden("Seul le MJ peut faire une annonce.") }
            guard chosen.isEmpty else {
                throw AppError.invalid(field: "recipient_ids", reason: "une annonce s'adresse à toute la table.")
            }
            return []
        case .private:
            guard access.isMJ else {
                guard chosen.isEmpty else {
                    throw AppError.invalid(
                        field: "recipient_ids", reason: "un joueur écrit en privé au MJ seulement, sans destinataires.")
                }
                return []
            }
            let unique = Set(chosen)
            guard (1...20).contains(unique.count), unique.count == chosen.count else {
                throw AppError.invalid(
                    field: "recipient_ids", reason: "choisissez de 1 à 20 joueurs différents pour un message privé.")
            }
            let members = try await PartieMember.query(on: db)
                .filter(\.$partie.$id == access.partieID).filter(\.$user.$id ~~ unique)
                .join(Partie.self, on: \PartieMember.$partie.$id == \Partie.$id)
                .filter(Partie.self, \.$mj.$id !~ unique)
                .with(\.$user).all()
            guard members.count == unique.count else {
                throw AppError.invalid(
                    field: "recipient_ids",
                    reason: "chaque destinataire doit être un joueur de la partie, autre que le MJ.")
            }
            return try members.map { try UserSummary($0.user) }.sorted { $0.id < $1.id }
        }
    }

    /// `?before=` / `?after=` (message ids) page through the history; without them, the latest.
    /// Items come oldest first, as a chat shows them. A private line is listed only to the MJ, its
    /// author and its recipients.
    func list(req: Request) async throws -> MessagePage {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let visible = try await Session.visible(id, to: caller, on: req.db)
        let limit = try Self.integer("limit", req) ?? 50
        guard (1...100).contains(limit) else {
            throw AppError.invalid(field: "limit", reason: "doit être compris entre 1 et 100.")
        }
        let before = try Self.integer("before", req)
        let after = try Self.integer("after", req)
        guard before == nil || after == nil else {
            throw AppError.invalid(field: "before", reason: "before et after ne vont pas ensemble.")
        }
        let query = Chat.readable(by: caller.userID, isMJ: visible.partie.isMJ, in: [id], on: req.db)
        if let before { query.filter(\.$id < before) }
        if let after { query.filter(\.$id > after) }
        var rows = try await query.sort(\.$id, after == nil ? .descending : .ascending).limit(limit + 1).all()
        let hasMore = rows.count > limit
        rows = Array(rows.prefix(limit))
        if after == nil { rows.reverse() }
        let pinned = try await SessionMessage.query(on: req.db)
            .filter(\.$session.$id == id).filter(\.$scope == .announcement).filter(\.$pinnedAt != nil)
            .sort(\.$pinnedAt).sort(\.$id).all()
        let responses = try await Chat.responses(for: rows + pinned, on: req.db)
        return MessagePage(
            items: Array(responses.prefix(rows.count)), hasMore: hasMore, pinned: Array(responses.dropFirst(rows.count))
        )
    }

    private static func integer(_ name: String, _ req: Request) throws -> Int? {
        guard let raw = req.queryValue(name) else { return nil }
        guard let value = Int(raw), value >= 0 else {
            throw AppError.invalid(field: name, reason: "doit être un entier positif.")
        }
        return value
    }
}

enum Chat {
    /// A line to add, as the chat, a draw's result or a change of the session's state writes it.
    struct NewLine: Sendable {
        let kind: MessageKind
        let body: String
        let author: User?
        var scope: MessageScope = .public
        var recipients: [UserSummary] = []
        var pinned = false
        var drawID: UUID? = nil
        let sessionID: UUID
        let at: Date

        fileprivate var statement: ChatLineStatement {
            ChatLineStatement(
                kind, body: body, by: author?.id, scope: scope, drawID: drawID, pinned: pinned, in: sessionID, at: at)
        }

        fileprivate func response(id: Int) -> MessageResponse {
            MessageResponse(
                id: id, sessionId: sessionID, kind: kind, scope: scope, author: author, body: body, drawId: drawID,
                recipients: recipients, createdAt: at, pinnedAt: pinned ? at : nil)
        }
    }

    /// A line written and its JSON, as its event carries it: the POST answers with that very text.
    struct Posted: Sendable {
        let message: MessageResponse
        let json: String

        fileprivate init(_ message: MessageResponse) throws {
            self.message = message
            json = try LiveEvents.encoded(message)
        }

        fileprivate init(_ message: MessageResponse, json: String) {
            self.message = message
            self.json = json
        }
    }

    /// Adds a line inside the caller's transaction (which holds the session's lock) and journals
    /// it for the live channel: a private line only for the MJ, its author and its recipients.
    @discardableResult
    static func post(_ line: NewLine, on db: any Database) async throws -> Posted {
        // Written without the model: chat lines are the live channel's busiest write.
        guard let row = try await db.first(line.statement) else { throw AppError.notFound("Session introuvable.") }
        let posted = try Posted(line.response(id: try row.decode(column: "id", as: Int.self)))
        for recipient in line.recipients {
            _ = try await db.all(RecipientStatement(message: posted.message.id, user: recipient.id))
        }
        let (visibility, audience) = readers(of: posted.message)
        try await LiveEvents.record(
            .chatMessage, in: line.sessionID, text: posted.json, at: line.at, visibility: visibility,
            audience: audience, messageID: posted.message.id, on: db)
        return posted
    }

    /// `post` in SQLite's group commit, with the same statements.
    @discardableResult
    static func post(_ line: NewLine, in batch: GroupCommit.Batch) throws -> Posted {
        guard let row = try batch.first(line.statement) else { throw AppError.notFound("Session introuvable.") }
        let posted = try Posted(line.response(id: try row.decode(column: "id", as: Int.self)))
        for recipient in line.recipients {
            try batch.run(RecipientStatement(message: posted.message.id, user: recipient.id))
        }
        let (visibility, audience) = readers(of: posted.message)
        try LiveEvents.record(
            .chatMessage, in: line.sessionID, text: posted.json, at: line.at, visibility: visibility,
            audience: audience, messageID: posted.message.id, in: batch)
        return posted
    }

    /// `post` on PostgreSQL without a transaction: the writer's state is read and judged here, then
    /// one statement (`PostgresLineStatement`) takes the session's next number, marks the writer
    /// active and writes the line, its recipients, its event and the event's audience, only if that
    /// state still holds once it has the session's row lock. The six round trips of the transaction
    /// (`BEGIN`, the lock, the presence, the line, the event, `COMMIT`) become two, and the lock is
    /// held for one statement and its commit. The answer is the event's copy of the line, as
    /// PostgreSQL wrote it. Throws `NeedsTransaction` when the state changed meanwhile or the
    /// writer is idle, before writing anything.
    static func postAtOnce(_ line: NewLine, by writerID: Int, isMJ: Bool, on db: any Database) async throws
        -> Posted
    {
        guard db is any PostgresDatabase else { throw NeedsTransaction() }
        guard let writer = try await Participation.writerState(writerID, in: line.sessionID, on: db) else {
            throw AppError.notFound("Session introuvable.")
        }
        guard !writer.idle else { throw NeedsTransaction() }
        try writer.mayWriteInChat(isMJ: isMJ)
        // The line's number is the statement's: the event's copy of the line gets it there.
        let draft = line.response(id: 0)
        let (visibility, audience) = readers(of: draft)
        let statement = PostgresLineStatement(
            line, by: writerID, expecting: writer, event: UUID(),
            data: try LiveEvents.encoded(draft), visibility: visibility,
            audience: audience)
        guard let row = try await db.first(statement) else { throw NeedsTransaction() }
        return Posted(
            line.response(id: try row.decode(column: "id", as: Int.self)),
            json: try row.decode(column: "data", as: String.self))
    }

    /// Journals an event about a line for exactly those who may see the line.
    static func record(
        _ type: LiveEventType, _ message: MessageResponse, in sessionID: UUID, at now: Date, on db: any Database
    ) async throws {
        let (visibility, audience) = readers(of: message)
        try await LiveEvents.record(
            type, in: sessionID, data: message, at: now, visibility: visibility, audience: audience,
            messageID: message.id, on: db)
    }

    /// Who may see a line's events: everyone, or for a private line the MJ, its author and its
    /// recipients.
    private static func readers(of message: MessageResponse) -> (EventVisibility, Set<Int>) {
        guard message.scope == .private else { return (.all, []) }
        return (.mj, Set(message.recipients.map(\.id) + [message.userId].compactMap { $0 }))
    }

    /// The events already journaled about a line now carry what it has become: a deleted line's
    /// text, or a corrected one's first version, stays nowhere a replay could find it.
    static func rewriteJournal(of message: MessageResponse, in sessionID: UUID, on db: any Database) async throws {
        try await db.sql.update(SessionEvent.schema).set("data", to: try LiveEvents.encoded(message))
            .where("session_id", .equal, sessionID).where("message_id", .equal, message.id)
            .run()
    }

    /// The lines of these sessions `userID` may read: every one for the MJ; for anyone else the public
    /// ones and announcements, and the private ones they wrote or received.
    static func readable(by userID: Int, isMJ: Bool, in sessionIDs: [UUID], on db: any Database)
        -> QueryBuilder<SessionMessage>
    {
        let query = SessionMessage.query(on: db).filter(\.$session.$id ~~ sessionIDs)
        guard !isMJ else { return query }
        return query.group(.or) { or in
            or.filter(\.$scope != .private).filter(\.$user.$id == userID)
                .filter(
                    .sql(
                        embed: """
                            \(ident: SessionMessage.schema).\(ident: "id") IN (SELECT \(ident: "message_id") FROM \(ident: Recipients.schema) WHERE \(ident: "user_id") = \(bind: userID))
                            """))
        }
    }

    /// The responses for lines read from the table, with their authors and recipients in two
    /// queries whatever their number.
    static func responses(for rows: [SessionMessage], on db: any Database) async throws -> [MessageResponse] {
        let recipientIDs = try await Recipients.of(rows.filter { $0.scope == .private }.compactMap(\.id), on: db)
        let userIDs = Set(rows.compactMap { $0.$user.id } + recipientIDs.values.joined())
        let users =
            userIDs.isEmpty
            ? [:]
            : Dictionary(
                uniqueKeysWithValues:
                    try await User.query(on: db).filter(\.$id ~~ userIDs).all().map { ($0.id!, $0) })
        return try rows.map { row in
            let recipients = try (recipientIDs[row.id ?? 0] ?? []).compactMap { users[$0] }.map(UserSummary.init)
            return try MessageResponse(row, author: row.$user.id.flatMap { users[$0] }, recipients: recipients)
        }
    }

    /// What the chat says when the session changes state.
    static func systemLine(for status: SessionStatus) -> String {
        switch status {
        case .scheduled: "La session est programmée."
        case .active: "La session est en cours."
        case .paused: "La session est en pause."
        case .completed: "La session est terminée."
        case .cancelled: "La session est annulée."
        }
    }

    /// `session_message_recipients`: the players a private line of the MJ is addressed to.
    enum Recipients {
        static let schema = "session_message_recipients"

        /// Each line's recipients, in id order.
        static func of(_ messageIDs: [Int], on db: any Database) async throws -> [Int: [Int]] {
            guard !messageIDs.isEmpty else { return [:] }
            struct Row: Decodable {
                let messageId: Int
                let userId: Int
            }
            let rows = try await db.sql.select().column("message_id").column("user_id").from(schema)
                .where("message_id", .in, messageIDs).orderBy("user_id")
                .all(decoding: Row.self, with: SQLRowDecoder(keyDecodingStrategy: .convertFromSnakeCase))
            return Dictionary(grouping: rows, by: \.messageId).mapValues { $0.map(\.userId) }
        }
    }
}

/// `Chat.post`'s line; PostgreSQL types a null author or draw by its column.
struct ChatLineStatement: HotStatement {
    static let sql = """
        INSERT INTO \(SessionMessage.schema) (session_id, user_id, kind, body, draw_id, created_at, scope, pinned_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8 THEN $6 END)
        RETURNING id
        """
    let binds: [HotBind]

    init(
        _ kind: MessageKind, body: String, by authorID: Int?, scope: MessageScope, drawID: UUID?, pinned: Bool,
        in sessionID: UUID, at now: Date
    ) {
        binds = [
            .uuid(sessionID), .int(authorID), .text(kind.rawValue), .text(body), .uuid(drawID), .date(now),
            .text(scope.rawValue), .bool(pinned),
        ]
    }
}

/// `Chat.postAtOnce`, PostgreSQL's whole chat line in one statement, outside a transaction. Each
/// part writes only if the session's row was taken (`taken`), and that only if the writer's state
/// read before (`$2`, `$4`, not idle) still holds under its lock: a state that changed writes
/// nothing, and the line takes a transaction. The number comes from the session's counter, which
/// the lock keeps right whatever this statement's snapshot saw; the line's id is drawn after the
/// lock, so ids and numbers keep the same order. SQLite has no data-modifying `WITH`.
struct PostgresLineStatement: HotStatement {
    static let sql = """
        WITH taken AS (
          UPDATE \(Session.schema) SET journal_seq = journal_seq + 1
          WHERE id = $1 AND status = $2
            AND \(WriterStatement.seatRole(session: "$1", user: "$3")) IS NOT DISTINCT FROM CAST($4 AS VARCHAR)
            AND NOT \(WriterStatement.idle(session: "$1", user: "$3"))
          RETURNING journal_seq
        ), active AS (
          UPDATE \(SessionPresence.schema) SET last_active_at = $5, idle_since = NULL
          WHERE session_id = $1 AND user_id = $3 AND EXISTS (SELECT 1 FROM taken)
        ), line AS (
          INSERT INTO \(SessionMessage.schema) (session_id, user_id, kind, body, created_at, scope, pinned_at)
          SELECT $1, $3, $6, $7, $5, $8, CASE WHEN $9 THEN CAST($5 AS TIMESTAMPTZ) END FROM taken
          RETURNING id
        ), recipients AS (
          INSERT INTO \(Chat.Recipients.schema) (message_id, user_id)
          SELECT line.id, r FROM line, UNNEST(CAST($10 AS BIGINT[])) AS r
        ), event AS (
          INSERT INTO \(SessionEvent.schema) (id, session_id, seq, type, at, data, visibility, message_id)
          SELECT $11, $1, taken.journal_seq, $12, $5, CAST(jsonb_set(CAST($13 AS JSONB), '{id}', to_jsonb(line.id)) AS TEXT),
            $14, line.id
          FROM taken, line
          RETURNING data
        ), audience AS (
          INSERT INTO \(EventAudience.schema) (event_id, user_id)
          SELECT $11, a FROM taken, UNNEST(CAST($15 AS BIGINT[])) AS a
        )
        SELECT line.id, event.data FROM line, event
        """
    let binds: [HotBind]

    init(
        _ line: Chat.NewLine, by writerID: Int, expecting writer: Participation.Writer, event eventID: UUID,
        data: String, visibility: EventVisibility, audience: Set<Int>
    ) {
        binds = [
            .uuid(line.sessionID), .text(writer.status.rawValue), .int(writerID), .text(writer.role?.rawValue),
            .date(line.at), .text(line.kind.rawValue), .text(line.body), .text(line.scope.rawValue), .bool(line.pinned),
            .ints(line.recipients.map(\.id)), .uuid(eventID), .text(LiveEventType.chatMessage.rawValue), .text(data),
            .text(visibility.rawValue), .ints(audience.sorted()),
        ]
    }
}

/// One recipient of a private line of the MJ.
struct RecipientStatement: HotStatement {
    static let sql = "INSERT INTO \(Chat.Recipients.schema) (message_id, user_id) VALUES ($1, $2)"
    let binds: [HotBind]

    init(message: Int, user: Int) {
        binds = [.int(message), .int(user)]
    }
}
