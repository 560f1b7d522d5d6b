import EtrangeDomain
import Foundation
import Vapor

/// `GET /api/me/export`: everything the server holds about the caller, in one document (GDPR
/// article 20). The shapes the API already answers with are reused, so a client reads an export
/// with the types it has; the README documents each field.
struct AccountExportDocument: Content {
    /// The document's format, bumped when a field changes meaning.
    let format: String
    let generatedAt: Date
    /// Each table holding rows of the caller, and the field of this document that carries them.
    let sources: [String: String]
    /// What the server holds and leaves out of the document, with why.
    let withheld: [WithheldField]
    let account: ExportedAccount
    let tokens: [ExportedToken]
    let calendarFeed: ExportedCalendarFeed?
    let passwordResets: [ExportedPasswordReset]
    let scenarios: [ScenarioResponse]
    let memberships: [ExportedMembership]
    let partiesRun: [ExportedPartie]
    let characters: [CharacterResponse]
    /// The caller's deleted characters: what is left of them, so that the seats and draws that name
    /// them still point somewhere.
    let deletedCharacters: [ExportedDeletedCharacter]
    let participations: [ExportedParticipation]
    /// Seconds played in every session, the running stretch of a seat still taken included.
    let timePlayedSeconds: Int
    let presence: [ExportedPresence]
    let messages: [MessageResponse]
    let draws: [DrawResponse]
    let legacyDecks: [ExportedLegacyDeck]
    let rsvps: [ExportedRSVP]
    let pollAnswers: [ExportedPollAnswer]
    let waitingList: [ExportedWaiter]
    let handoutsShown: [HandoutResponse]
}

struct WithheldField: Content {
    let field: String
    let reason: String
}

struct ExportedAccount: Content {
    let id: Int
    let username: String
    let displayName: String?
    /// Whether the password is still the one imported from the mobile app (its SHA-256 under
    /// bcrypt), until the first sign-in here hashes it anew.
    let passwordFromApp: Bool
    let createdAt: Date
    let updatedAt: Date
}

/// A signed-in device: when it signed in and until when; never the token's digest.
struct ExportedToken: Content {
    let createdAt: Date
    let expiresAt: Date
}

struct ExportedCalendarFeed: Content {
    let createdAt: Date
    let lastUsedAt: Date?
}

/// A recovery link that was issued: only its dates.
struct ExportedPasswordReset: Content {
    let createdAt: Date
    let expiresAt: Date
    let usedAt: Date?
}

struct ExportedMembership: Content {
    let partieId: Int
    let partieName: String
    let role: PartieRole
    let joinedAt: Date
}

/// A partie the caller runs, with what they set in it: its sessions (their notes included), its
/// webhook (without its secret) and its handouts (without their bytes).
struct ExportedPartie: Content {
    let id: Int
    let name: String
    let scenarioId: Int?
    let inviteCode: String
    let sessionLengthMinutes: Int
    let reminderOffsetsMinutes: [Int]
    let membersMayObserve: Bool
    let createdAt: Date
    let updatedAt: Date
    let sessions: [ExportedSession]
    let webhook: WebhookResponse?
    let handouts: [HandoutResponse]
}

struct ExportedSession: Content {
    let id: UUID
    let name: String
    let description: String?
    let status: SessionStatus
    let scheduledDate: Date?
    let startedAt: Date?
    let endedAt: Date?
    let summary: String?
    let notes: String?
    let maxPlayers: Int
    let allowLateJoin: Bool
    let voiceChannelId: String?
    let createdAt: Date
    let updatedAt: Date
}

/// A character its player deleted: the row stays, emptied of what they wrote in it.
struct ExportedDeletedCharacter: Content {
    let id: UUID
    let createdAt: Date
    let deletedAt: Date
}

struct ExportedParticipation: Content {
    let sessionId: UUID
    let sessionName: String
    let partieId: Int
    let characterId: UUID?
    let role: SeatRole
    let joinedAt: Date
    let leftAt: Date?
    let isActive: Bool
    let playedSeconds: Int
}

struct ExportedPresence: Content {
    let sessionId: UUID
    let characterId: UUID?
    let isOnline: Bool
    let joinedAt: Date
    let lastSeen: Date
    let leftAt: Date?
    let lastActiveAt: Date?
    let idleSince: Date?
}

/// A deck of the days when decks belonged to sessions, kept as it was stored (`state`, the old
/// JSON text) since migration 010 moved decks to characters.
struct ExportedLegacyDeck: Content {
    let sessionId: UUID
    let characterId: UUID?
    let state: String
    let createdAt: Date
    let updatedAt: Date
}

struct ExportedRSVP: Content {
    let sessionId: UUID
    let answer: Availability
    let comment: String?
    let createdAt: Date
    let updatedAt: Date
}

struct ExportedPollAnswer: Content {
    let pollId: UUID
    let pollName: String
    let slotId: UUID
    let startsAt: Date
    let answer: Availability
    let updatedAt: Date
}

struct ExportedWaiter: Content {
    let sessionId: UUID
    let characterId: UUID
    let joinedAt: Date
    let lastSeen: Date
}
