import EtrangeDomain
import Foundation
import SQLKit

/// A session's columns as plain values, which responses are built from, read straight from a row
/// without Fluent's reflection over the model: the session list is a hot path.
struct SessionRecord {
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

    /// A row of `SELECT * FROM sessions`, through the same driver decoding as the model's.
    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: UUID.self)
        partieID = try row.decode(column: "partie_id", as: Int.self)
        name = try row.decode(column: "name", as: String.self)
        description = try row.decode(column: "description", as: String?.self)
        let rawStatus = try row.decode(column: "status", as: String.self)
        guard let status = SessionStatus(rawValue: rawStatus) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown session status \(rawStatus)"))
        }
        self.status = status
        scheduledDate = try row.decode(column: "scheduled_date", as: Date?.self)
        startedAt = try row.decode(column: "started_at", as: Date?.self)
        endedAt = try row.decode(column: "ended_at", as: Date?.self)
        durationMinutes = try row.decode(column: "duration_minutes", as: Int?.self)
        summary = try row.decode(column: "summary", as: String?.self)
        keyEvents = try row.decode(column: "key_events", as: JSONList<KeyEvent>?.self)?.items
        characterDevelopments = try row.decode(column: "character_developments", as: JSONList<CharacterDevelopment>?.self)?.items
        notes = try row.decode(column: "notes", as: String?.self)
        maxPlayers = try row.decode(column: "max_players", as: Int.self)
        allowLateJoin = try row.decode(column: "allow_late_join", as: Bool.self)
        voiceChannelID = try row.decode(column: "voice_channel_id", as: String?.self)
        activeTime = RunningTime(accumulatedSeconds: try row.decode(column: "active_seconds", as: Double.self),
                                 runningSince: try row.decode(column: "active_since", as: Date?.self))
        cardValues = try row.decode(column: "card_values", as: String.self)
        createdAt = try row.decode(column: "created_at", as: Date.self)
        updatedAt = try row.decode(column: "updated_at", as: Date.self)
    }
}
