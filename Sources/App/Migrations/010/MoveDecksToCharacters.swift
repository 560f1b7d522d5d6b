import EtrangeDomain
import Fluent
import Foundation
import SQLKit

/// Decks become the character's, as the app keeps them: rows of cards, the pot's three figures
/// and the joker on the character, with its sheet. Each character gets its suit's A–10; a
/// character whose newest session deck had the pot gets its three figures in the deck, and the
/// joker if that deck had it. `session_decks` stays as it was, so reverting loses nothing.
struct MoveDecksToCharacters: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // SQLite adds a NOT NULL column only with a default, and one column per statement;
        // every row gets its own values below.
        let columns: [(String, DatabaseSchema.DataType, SQLExpression)] = [
            ("sheet", .sql(unsafeRaw: "TEXT"), SQLLiteral.string("")),
            ("deck_rows", .sql(unsafeRaw: "TEXT"), SQLLiteral.string("")),
            ("pot_jack", .string, SQLLiteral.string(PotPlace.pot.rawValue)),
            ("pot_queen", .string, SQLLiteral.string(PotPlace.pot.rawValue)),
            ("pot_king", .string, SQLLiteral.string(PotPlace.pot.rawValue)),
            ("joker", .bool, SQLLiteral.boolean(false)),
        ]
        for (name, type, value) in columns {
            try await database.schema(Character.schema).field(.string(name), type, .required, .sql(.default(value)))
                .update()
        }
        let sql = database.sql
        struct CharacterRow: Decodable {
            let id: UUID
            let figure: String?
        }
        struct DeckRowState: Decodable {
            let characterId: UUID
            let state: String
        }
        /// The two flags the old stored deck wrote beside its piles.
        struct OldDeck: Decodable {
            let hasPot: Bool
            let hasJoker: Bool
        }
        let characters = try await sql.select().column("id").column("figure").from(Character.schema)
            .all(decoding: CharacterRow.self)
        let decks = try await sql.select().column("character_id").column("state").from("session_decks")
            .where("character_id", .isNot, SQLLiteral.null).orderBy("updated_at")
            .all(decoding: DeckRowState.self, with: .init(keyDecodingStrategy: .convertFromSnakeCase))
        var newest: [UUID: OldDeck] = [:]
        for deck in decks {
            newest[deck.characterId] = try JSONDecoder().decode(OldDeck.self, from: Data(deck.state.utf8))
        }
        for character in characters {
            let suit = character.figure.flatMap(Suit.init(rawValue:)) ?? .spades
            let old = newest[character.id]
            let place = old?.hasPot == true ? PotPlace.deck : .pot
            try await sql.update(Character.schema)
                .set("sheet", to: Character.encode(CharacterSheet.appDefaults))
                .set("deck_rows", to: Character.encode([DeckRow.newCharacter(suit)]))
                .set("pot_jack", to: place.rawValue).set("pot_queen", to: place.rawValue)
                .set("pot_king", to: place.rawValue)
                .set("joker", to: old?.hasJoker ?? false)
                .where("id", .equal, character.id)
                .run()
        }
    }

    func revert(on database: any Database) async throws {
        for name in ["sheet", "deck_rows", "pot_jack", "pot_queen", "pot_king", "joker"] {
            try await database.schema(Character.schema).deleteField(.string(name)).update()
        }
    }
}
