import EtrangeDomain
import Fluent
import Vapor

/// `scope` says who the line is for; `recipient_ids` are the players the MJ writes to in
/// private (a player's private line goes to the MJ, with none); `pinned` keeps an announcement
/// at the top of the session page.
struct PostMessageRequest: Content {
    var body: String
    var scope: MessageScope?
    var recipientIds: [Int]?
    var pinned: Bool?
}

struct EditMessageRequest: Content {
    var body: String
}

struct MessageResponse: Content {
    let id: Int
    let sessionId: UUID
    let kind: MessageKind
    let scope: MessageScope
    let userId: Int?
    let username: String?
    let displayName: String?
    /// Empty once the line is deleted.
    let body: String
    let drawId: UUID?
    /// A private line's chosen players; empty for a player's line to the MJ and for public lines.
    let recipients: [UserSummary]
    let createdAt: Date
    let editedAt: Date?
    let deletedAt: Date?
    let pinnedAt: Date?
    /// Until when its author may still correct or delete a written line.
    let editableUntil: Date?

    init(
        id: Int, sessionId: UUID, kind: MessageKind, scope: MessageScope = .public, author: User?, body: String,
        drawId: UUID?, recipients: [UserSummary] = [], createdAt: Date, pinnedAt: Date? = nil
    ) {
        self.id = id
        self.sessionId = sessionId
        self.kind = kind
        self.scope = scope
        userId = author?.id
        username = author?.username
        displayName = author?.displayName
        self.body = body
        self.drawId = drawId
        self.recipients = recipients
        self.createdAt = createdAt
        editedAt = nil
        deletedAt = nil
        self.pinnedAt = pinnedAt
        editableUntil = Self.editableUntil(kind: kind, author: author?.id, createdAt: createdAt, deleted: false)
    }

    init(_ message: SessionMessage, author: User?, recipients: [UserSummary]) throws {
        id = try message.requireID()
        sessionId = message.$session.id
        kind = message.kind
        scope = message.scope
        userId = message.$user.id
        username = author?.username
        displayName = author?.displayName
        body = message.body
        drawId = message.$draw.id
        self.recipients = recipients
        createdAt = message.createdAt
        editedAt = message.editedAt
        deletedAt = message.deletedAt
        pinnedAt = message.pinnedAt
        editableUntil = Self.editableUntil(
            kind: message.kind, author: message.$user.id, createdAt: message.createdAt,
            deleted: message.deletedAt != nil)
    }

    private static func editableUntil(kind: MessageKind, author: Int?, createdAt: Date, deleted: Bool) -> Date? {
        guard kind == .text, author != nil, !deleted else { return nil }
        return createdAt.addingTimeInterval(ChatLine.correctionWindow)
    }
}

struct MessagePage: Content {
    let items: [MessageResponse]
    let hasMore: Bool
    /// The announcements pinned at the top of the session page, oldest first, whatever the page.
    let pinned: [MessageResponse]
}
