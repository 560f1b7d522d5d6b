import EtrangeDomain
import Fluent
import Vapor

struct PostMessageRequest: Content {
    var body: String
}

struct MessageResponse: Content {
    let id: Int
    let sessionId: UUID
    let kind: MessageKind
    let userId: Int?
    let username: String?
    let displayName: String?
    let body: String
    let drawId: UUID?
    let createdAt: Date

    init(id: Int, sessionId: UUID, kind: MessageKind, author: User?, body: String, drawId: UUID?, createdAt: Date) {
        self.id = id
        self.sessionId = sessionId
        self.kind = kind
        userId = author?.id
        username = author?.username
        displayName = author?.displayName
        self.body = body
        self.drawId = drawId
        self.createdAt = createdAt
    }

    init(_ message: SessionMessage, author: User?) throws {
        id = try message.requireID()
        sessionId = message.$session.id
        kind = message.kind
        userId = message.$user.id
        username = author?.username
        displayName = author?.displayName
        body = message.body
        drawId = message.$draw.id
        createdAt = message.createdAt
    }
}

struct MessagePage: Content {
    let items: [MessageResponse]
    let hasMore: Bool
}

/// The session's chat: participants' words, the results of public draws, and what happens to the
/// session, all as events on the live channel too.
struct ChatController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let session = routes.grouped(TokenAuthMiddleware()).grouped("api", "sessions", ":id")
        session.get("messages", use: list)
        session.post("messages", use: post)
    }

    func post(req: Request) async throws -> Response {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let body = try req.json(PostMessageRequest.self)
        let text = try Check.text(body.body, field: "body", length: 1...2000)
        let access = try await Session.access(id, of: caller, on: req.readDB)
        try req.limit(
            "chat:\(caller.userID)", req.application.config.limits.chat, reason: "Trop de messages d'affilée.")
        let now = req.now
        let message = try await req.db.transaction { db -> MessageResponse in
            guard let writer = try await Participation.lockForWriter(caller.userID, in: id, on: db) else {
                throw AppError.notFound("Session introuvable.")
            }
            guard !writer.status.isFinal else {
                throw AppError.conflict(
                    "La session est « \(writer.status.rawValue) » (\(writer.status.label)) : sa discussion est fermée.")
            }
            guard access.isMJ || writer.seated else {
                throw AppError.forbidden("Rejoignez la session pour écrire dans son chat.")
            }
            try await Participation.active(userID: caller.userID, in: id, idle: writer.idle, at: now, on: db)
            return try await Chat.post(.text, body: text, by: caller.user, in: id, at: now, on: db)
        }
        await req.announce(id)
        return try await message.encodeResponse(status: .created, for: req)
    }

    /// `?before=` / `?after=` (message ids) page through the history; without them, the latest.
    /// Items come oldest first, as a chat shows them.
    func list(req: Request) async throws -> MessagePage {
        let caller = try req.caller
        let id = try req.uuidParameter()
        _ = try await Session.visible(id, to: caller, on: req.db)
        let limit = try Self.integer("limit", req) ?? 50
        guard (1...100).contains(limit) else {
            throw AppError.invalid(field: "limit", reason: "doit être compris entre 1 et 100.")
        }
        let before = try Self.integer("before", req)
        let after = try Self.integer("after", req)
        guard before == nil || after == nil else {
            throw AppError.invalid(field: "before", reason: "before et after ne vont pas ensemble.")
        }
        let query = SessionMessage.query(on: req.db).filter(\.$session.$id == id)
        if let before { query.filter(\.$id < before) }
        if let after { query.filter(\.$id > after) }
        var rows = try await query.sort(\.$id, after == nil ? .descending : .ascending).limit(limit + 1).all()
        let hasMore = rows.count > limit
        rows = Array(rows.prefix(limit))
        if after == nil { rows.reverse() }
        let authorIDs = Set(rows.compactMap { $0.$user.id })
        let authors =
            authorIDs.isEmpty
            ? [:]
            : Dictionary(
                uniqueKeysWithValues:
                    try await User.query(on: req.db).filter(\.$id ~~ authorIDs).all().map { ($0.id!, $0) })
        return MessagePage(
            items: try rows.map { try MessageResponse($0, author: $0.$user.id.flatMap { authors[$0] }) },
            hasMore: hasMore)
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
    /// Adds a message inside the caller's transaction (which holds the session's lock) and
    /// announces it on the live channel.
    @discardableResult
    static func post(
        _ kind: MessageKind, body: String, by author: User?, drawID: UUID? = nil, in sessionID: UUID, at now: Date,
        on db: any Database
    ) async throws -> MessageResponse {
        // Written without the model: chat lines are the live channel's busiest write.
        guard
            let row = try await db.first(
                ChatLineStatement(kind, body: body, by: author?.id, drawID: drawID, in: sessionID, at: now))
        else {
            throw AppError.notFound("Session introuvable.")
        }
        let message = MessageResponse(
            id: try row.decode(column: "id", as: Int.self), sessionId: sessionID, kind: kind,
            author: author, body: body, drawId: drawID, createdAt: now)
        try await LiveEvents.record(.chatMessage, in: sessionID, data: message, at: now, on: db)
        return message
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
}

/// `Chat.post`'s line; PostgreSQL types a null author or draw by its column.
struct ChatLineStatement: HotStatement {
    static let sql = """
        INSERT INTO \(SessionMessage.schema) (session_id, user_id, kind, body, draw_id, created_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING id
        """
    let binds: [HotBind]

    init(_ kind: MessageKind, body: String, by authorID: Int?, drawID: UUID?, in sessionID: UUID, at now: Date) {
        binds = [.uuid(sessionID), .int(authorID), .text(kind.rawValue), .text(body), .uuid(drawID), .date(now)]
    }
}
