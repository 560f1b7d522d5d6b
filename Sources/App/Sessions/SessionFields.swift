import Fluent
import Foundation

/// The validation rules of a session's fields, shared by creation, edition and the end of a session.
enum SessionFields {
    static func name(_ value: String) throws -> String {
        try Check.text(value, field: "name", length: 1...100, scalars: 100)
    }

    static func description(_ value: String?) throws -> String? {
        try Check.optionalText(value, field: "description", maxLength: 5000)
    }

    static func summary(_ value: String?) throws -> String? {
        try Check.optionalText(value, field: "summary", maxLength: 20000)
    }

    static func notes(_ value: String?) throws -> String? {
        try Check.optionalText(value, field: "notes", maxLength: 20000)
    }

    static func voiceChannel(_ value: String?) throws -> String? {
        try Check.optionalText(value, field: "voice_channel_id", maxLength: 100, scalars: 100)
    }

    static func maxPlayers(_ value: Int) throws -> Int {
        try Check.integer(value, field: "max_players", in: 1...20)
    }

    static func scheduledDate(_ value: Date?) throws -> Date? {
        try value.map { try Check.date($0, field: "scheduled_date") }
    }

    static func keyEvents(_ events: [KeyEventPayload]) throws -> JSONList<KeyEvent> {
        guard events.count <= 200 else {
            throw AppError.invalid(field: "key_events", reason: "200 événements au plus.")
        }
        return JSONList(
            try events.enumerated().map { index, event in
                KeyEvent(
                    event: try Check.text(event.event, field: "key_events[\(index)].event", length: 1...500),
                    timestamp: try Check.date(event.timestamp, field: "key_events[\(index)].timestamp"))
            })
    }

    /// Developments must name characters of this partie: ones attached to it, or unattached ones
    /// whose owner plays in it.
    static func characterDevelopments(_ developments: [CharacterDevelopmentPayload], partieID: Int, on db: any Database)
        async throws -> JSONList<CharacterDevelopment>
    {
        guard developments.count <= 100 else {
            throw AppError.invalid(field: "character_developments", reason: "100 évolutions au plus.")
        }
        let ids = Set(developments.map(\.characterId))
        let characters = ids.isEmpty ? [] : try await Character.query(on: db).filter(\.$id ~~ ids).all()
        let memberIDs = Set(
            try await PartieMember.query(on: db).filter(\.$partie.$id == partieID).all().map { $0.$user.id })
        let belonging = Set(
            characters.filter { character in
                character.$partie.id == partieID
                    || (character.$partie.id == nil && memberIDs.contains(character.$user.id))
            }.compactMap(\.id))
        return JSONList(
            try developments.enumerated().map { index, development in
                guard belonging.contains(development.characterId) else {
                    throw AppError.invalid(
                        field: "character_developments[\(index)].character_id",
                        reason: "ce personnage n'appartient pas à la partie.")
                }
                return CharacterDevelopment(
                    characterId: development.characterId,
                    description: try Check.text(
                        development.description,
                        field: "character_developments[\(index)].description", length: 1...2000))
            })
    }
}
