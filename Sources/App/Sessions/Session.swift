import EtrangeDomain
import Fluent
import Foundation

/// A key event as stored in the `key_events` JSON column: `{"event", "timestamp"}` with an ISO
/// 8601 timestamp, as the design document shows it, whatever the driver's own JSON defaults.
struct KeyEvent: Codable, Equatable, Sendable {
    var event: String
    var timestamp: Date

    enum CodingKeys: String, CodingKey { case event, timestamp }

    init(event: String, timestamp: Date) {
        self.event = event
        self.timestamp = timestamp
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        event = try c.decode(String.self, forKey: .event)
        let text = try c.decode(String.self, forKey: .timestamp)
        guard let date = JSONCoding.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: .timestamp, in: c, debugDescription: "bad date \(text)")
        }
        timestamp = date
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(event, forKey: .event)
        try c.encode(JSONCoding.format(timestamp), forKey: .timestamp)
    }
}

/// A character development as stored in the `character_developments` JSON column.
struct CharacterDevelopment: Codable, Equatable, Sendable {
    var characterId: UUID
    var description: String

    enum CodingKeys: String, CodingKey {
        case characterId = "character_id"
        case description
    }
}

/// An evening of play, with the columns of the design document's `sessions` table, plus what
/// `duration_minutes` is computed from.
final class Session: Model, @unchecked Sendable {
    static let schema = "sessions"

    @ID(key: .id) var id: UUID?
    @Parent(key: "partie_id") var partie: Partie
    @Field(key: "name") var name: String
    @OptionalField(key: "description") var description: String?
    @Enum(key: "status") var status: SessionStatus
    @OptionalField(key: "scheduled_date") var scheduledDate: Date?
    @OptionalField(key: "started_at") var startedAt: Date?
    @OptionalField(key: "ended_at") var endedAt: Date?
    @OptionalField(key: "duration_minutes") var durationMinutes: Int?
    @OptionalField(key: "summary") var summary: String?
    @OptionalField(key: "key_events") var keyEvents: JSONList<KeyEvent>?
    @OptionalField(key: "character_developments") var characterDevelopments: JSONList<CharacterDevelopment>?
    @OptionalField(key: "notes") var notes: String?
    @Field(key: "max_players") var maxPlayers: Int
    @Field(key: "allow_late_join") var allowLateJoin: Bool
    @OptionalField(key: "voice_channel_id") var voiceChannelID: String?
    /// Seconds spent active in the stretches already closed by a pause or the end.
    @Field(key: "active_seconds") var activeSeconds: Double
    /// Start of the current active stretch; nil unless the session is active.
    @OptionalField(key: "active_since") var activeSince: Date?
    /// The name of the card value table draws use (`current` or `classic`).
    @Field(key: "card_values") var cardValues: String
    /// Bumped on every change; calendars read it as the event's SEQUENCE.
    @Field(key: "revision") var revision: Int
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    /// A new session, not started: every column set, none left to a default the model would not see.
    init(
        partieID: Int, name: String, description: String?, scheduledDate: Date?, maxPlayers: Int,
        allowLateJoin: Bool, now: Date
    ) {
        self.$partie.id = partieID
        self.name = name
        self.description = description
        self.status = .scheduled
        self.scheduledDate = scheduledDate
        self.maxPlayers = maxPlayers
        self.allowLateJoin = allowLateJoin
        self.activeSeconds = 0
        self.cardValues = CardValueTable.current.name
        self.revision = 0
        self.createdAt = now
        self.updatedAt = now
    }

    var activeTime: RunningTime {
        RunningTime(accumulatedSeconds: activeSeconds, runningSince: activeSince)
    }
}
