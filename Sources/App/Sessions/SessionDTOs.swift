import EtrangeDomain
import Foundation
import Vapor

struct KeyEventPayload: Content, Equatable {
    var event: String
    var timestamp: Date
}

struct CharacterDevelopmentPayload: Content, Equatable {
    var characterId: UUID
    var description: String
}

/// The design document's `CreateSessionRequest`.
struct CreateSessionRequest: Content {
    var partieId: Int
    var name: String
    var description: String?
    var scheduledDate: Date?
    var maxPlayers: Int?
    var allowLateJoin: Bool?
}

/// `PUT /api/sessions/{id}`: only what is sent changes. Status and times are not fields of this
/// request, so whatever a body says of them is ignored.
struct UpdateSessionRequest: Decodable, Sendable {
    var name: Patch<String>
    var description: Patch<String>
    var scheduledDate: Patch<Date>
    var maxPlayers: Patch<Int>
    var allowLateJoin: Patch<Bool>
    var voiceChannelId: Patch<String>
    var summary: Patch<String>
    var keyEvents: Patch<[KeyEventPayload]>
    var characterDevelopments: Patch<[CharacterDevelopmentPayload]>
    var notes: Patch<String>
    var cardValues: Patch<String>

    enum CodingKeys: String, CodingKey {
        case name, description, scheduledDate, maxPlayers, allowLateJoin, voiceChannelId
        case summary, keyEvents, characterDevelopments, notes, cardValues
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.patch(String.self, forKey: .name)
        description = try container.patch(String.self, forKey: .description)
        scheduledDate = try container.patch(Date.self, forKey: .scheduledDate)
        maxPlayers = try container.patch(Int.self, forKey: .maxPlayers)
        allowLateJoin = try container.patch(Bool.self, forKey: .allowLateJoin)
        voiceChannelId = try container.patch(String.self, forKey: .voiceChannelId)
        summary = try container.patch(String.self, forKey: .summary)
        keyEvents = try container.patch([KeyEventPayload].self, forKey: .keyEvents)
        characterDevelopments = try container.patch([CharacterDevelopmentPayload].self, forKey: .characterDevelopments)
        notes = try container.patch(String.self, forKey: .notes)
        cardValues = try container.patch(String.self, forKey: .cardValues)
    }
}

/// `POST /api/sessions/{id}/end`: the account of the evening, all optional.
struct EndSessionRequest: Content {
    var summary: String?
    var keyEvents: [KeyEventPayload]?
    var characterDevelopments: [CharacterDevelopmentPayload]?
    var notes: String?
}

/// A session as one caller sees it: every column of the design document (the MJ's notes only for
/// the MJ) and what a screen needs without more calls.
struct SessionResponse: Content {
    let id: UUID
    let partieId: Int
    let name: String
    let description: String?
    let status: SessionStatus
    let scheduledDate: Date?
    let startedAt: Date?
    let endedAt: Date?
    let durationMinutes: Int?
    let summary: String?
    let keyEvents: [KeyEventPayload]?
    let characterDevelopments: [CharacterDevelopmentPayload]?
    /// Present for the MJ only; absent, not null, for everyone else.
    let notes: String??
    let maxPlayers: Int
    let allowLateJoin: Bool
    let voiceChannelId: String?
    let cardValues: String
    let createdAt: Date
    let updatedAt: Date
    let seatedPlayers: Int
    let onlineCount: Int
    let canJoin: Bool
    let isMj: Bool
    let allowedActions: [SessionAction]
    /// The answers to the session (RSVP), counted for everyone, with the caller's own: read by a
    /// second, grouped statement (`SessionRSVP.summaries`), so none until the reader sets them.
    var rsvp: RSVPSummary = .none

    enum CodingKeys: String, CodingKey {
        case id, partieId, name, description, status, scheduledDate, startedAt, endedAt, durationMinutes
        case summary, keyEvents, characterDevelopments, notes, maxPlayers, allowLateJoin, voiceChannelId, cardValues
        case createdAt, updatedAt, seatedPlayers, onlineCount, canJoin, isMj, allowedActions, rsvp
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(UUID.self, forKey: .id)
        partieId = try c.decode(Int.self, forKey: .partieId)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        status = try c.decode(SessionStatus.self, forKey: .status)
        scheduledDate = try c.decodeIfPresent(Date.self, forKey: .scheduledDate)
        startedAt = try c.decodeIfPresent(Date.self, forKey: .startedAt)
        endedAt = try c.decodeIfPresent(Date.self, forKey: .endedAt)
        durationMinutes = try c.decodeIfPresent(Int.self, forKey: .durationMinutes)
        summary = try c.decodeIfPresent(String.self, forKey: .summary)
        keyEvents = try c.decodeIfPresent([KeyEventPayload].self, forKey: .keyEvents)
        characterDevelopments = try c.decodeIfPresent(
            [CharacterDevelopmentPayload].self, forKey: .characterDevelopments)
        notes = c.contains(.notes) ? .some(try c.decodeIfPresent(String.self, forKey: .notes)) : .none
        maxPlayers = try c.decode(Int.self, forKey: .maxPlayers)
        allowLateJoin = try c.decode(Bool.self, forKey: .allowLateJoin)
        voiceChannelId = try c.decodeIfPresent(String.self, forKey: .voiceChannelId)
        cardValues = try c.decode(String.self, forKey: .cardValues)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        updatedAt = try c.decode(Date.self, forKey: .updatedAt)
        seatedPlayers = try c.decode(Int.self, forKey: .seatedPlayers)
        onlineCount = try c.decode(Int.self, forKey: .onlineCount)
        canJoin = try c.decode(Bool.self, forKey: .canJoin)
        isMj = try c.decode(Bool.self, forKey: .isMj)
        allowedActions = try c.decode([SessionAction].self, forKey: .allowedActions)
        rsvp = try c.decode(RSVPSummary.self, forKey: .rsvp)
    }

    /// Nullable columns are written as null rather than left out, so clients see every column.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(partieId, forKey: .partieId)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(status, forKey: .status)
        try c.encode(scheduledDate, forKey: .scheduledDate)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(endedAt, forKey: .endedAt)
        try c.encode(durationMinutes, forKey: .durationMinutes)
        try c.encode(summary, forKey: .summary)
        try c.encode(keyEvents, forKey: .keyEvents)
        try c.encode(characterDevelopments, forKey: .characterDevelopments)
        if case .some(let notes) = notes { try c.encode(notes, forKey: .notes) }
        try c.encode(maxPlayers, forKey: .maxPlayers)
        try c.encode(allowLateJoin, forKey: .allowLateJoin)
        try c.encode(voiceChannelId, forKey: .voiceChannelId)
        try c.encode(cardValues, forKey: .cardValues)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(seatedPlayers, forKey: .seatedPlayers)
        try c.encode(onlineCount, forKey: .onlineCount)
        try c.encode(canJoin, forKey: .canJoin)
        try c.encode(isMj, forKey: .isMj)
        try c.encode(allowedActions, forKey: .allowedActions)
        try c.encode(rsvp, forKey: .rsvp)
    }

    init(record session: SessionRecord, isMJ: Bool, seatedPlayers: Int, onlineCount: Int, canJoin: Bool, now: Date) {
        id = session.id
        partieId = session.partieID
        name = session.name
        description = session.description
        status = session.status
        scheduledDate = session.scheduledDate
        startedAt = session.startedAt
        endedAt = session.endedAt
        durationMinutes = SessionDuration.minutes(
            status: session.status, recorded: session.durationMinutes,
            activeTime: session.activeTime, at: now)
        summary = session.summary
        keyEvents = session.keyEvents?.map(\.payload)
        characterDevelopments = session.characterDevelopments?.map(\.payload)
        notes = isMJ ? .some(session.notes) : .none
        maxPlayers = session.maxPlayers
        allowLateJoin = session.allowLateJoin
        voiceChannelId = session.voiceChannelID
        cardValues = session.cardValues
        createdAt = session.createdAt
        updatedAt = session.updatedAt
        self.seatedPlayers = seatedPlayers
        self.onlineCount = onlineCount
        self.canJoin = canJoin
        isMj = isMJ
        allowedActions = isMJ ? session.status.allowedActions : []
    }
}

extension KeyEvent {
    /// The stored event in the wire format.
    var payload: KeyEventPayload { KeyEventPayload(event: event, timestamp: timestamp) }
}

extension CharacterDevelopment {
    /// The stored development in the wire format.
    var payload: CharacterDevelopmentPayload {
        CharacterDevelopmentPayload(characterId: characterId, description: description)
    }
}

extension Session {
    /// The stored account in the wire format, for responses and live events alike.
    var keyEventPayloads: [KeyEventPayload]? { keyEvents?.items.map(\.payload) }

    var characterDevelopmentPayloads: [CharacterDevelopmentPayload]? { characterDevelopments?.items.map(\.payload) }
}
