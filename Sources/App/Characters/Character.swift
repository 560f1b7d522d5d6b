import EtrangeDomain
import Fluent
import Foundation
import SQLKit

final class Character: Model, @unchecked Sendable {
    static let schema = "characters"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @OptionalParent(key: "partie_id") var partie: Partie?
    @Field(key: "name") var name: String
    /// The character's own suit, whose J, Q and K make its pot.
    @OptionalField(key: "figure") var figure: String?
    /// The domain's `CharacterSheet` as JSON: read whole, never searched.
    @Field(key: "sheet") var sheetJSON: String
    /// The deck's `[DeckRow]` as JSON.
    @Field(key: "deck_rows") var deckRowsJSON: String
    /// One column per pot figure, so spending one is a conditional write on a typed value.
    @Enum(key: "pot_jack") var potJack: PotPlace
    @Enum(key: "pot_queen") var potQueen: PotPlace
    @Enum(key: "pot_king") var potKing: PotPlace
    /// Holds the special item, whose joker is in the deck.
    @Field(key: "joker") var joker: Bool
    @Field(key: "created_at") var createdAt: Date
    /// Set when its player deleted it: the row stays as a tombstone under `deletedName`.
    @OptionalField(key: "deleted_at") var deletedAt: Date?

    /// What a deleted character's draws and seats show where its name was.
    static let deletedName = "personnage supprimé"

    init() {}

    /// A new character's deck is its suit's A–10, and its sheet the app's characteristics.
    init(name: String, userID: Int, partieID: Int?, figure: Suit? = nil, now: Date) {
        self.name = name
        self.$user.id = userID
        self.$partie.id = partieID
        self.figure = figure?.rawValue
        self.createdAt = now
        sheetJSON = Self.encode(CharacterSheet.appDefaults)
        deckRowsJSON = Self.encode([DeckRow.newCharacter(suit)])
        potJack = .pot
        potQueen = .pot
        potKing = .pot
        joker = false
    }

    /// The suit of the pot's figures; a character made before suits were chosen plays pique, as
    /// its deck always did.
    var suit: Suit { figure.flatMap(Suit.init(rawValue:)) ?? .spades }

    func sheet() throws -> CharacterSheet {
        try JSONDecoder().decode(CharacterSheet.self, from: Data(sheetJSON.utf8))
    }

    var deck: CharacterDeck {
        get throws {
            CharacterDeck(
                suit: suit, rows: try JSONDecoder().decode([DeckRow].self, from: Data(deckRowsJSON.utf8)),
                pot: Pot(jack: potJack, queen: potQueen, king: potKing), joker: joker)
        }
    }

    /// The character unless it was deleted: every way of choosing or changing one goes through
    /// this, so a tombstone is only ever read through what names it.
    static func live(_ id: UUID, on db: any Database) async throws -> Character? {
        try await Character.query(on: db).filter(\.$id == id).filter(\.$deletedAt == nil).first()
    }

    /// Locks the character's row for the caller's transaction, if it is not deleted.
    static func lockLive(_ id: UUID, on db: any Database) async throws -> Bool {
        try await db.sql.update(schema).set("deleted_at", to: SQLIdentifier("deleted_at"))
            .where("id", .equal, id).where("deleted_at", .is, SQLLiteral.null)
            .returning("id").first() != nil
    }

    static func column(of figure: Rank) -> String {
        switch figure {
        case .jack: "pot_jack"
        case .queen: "pot_queen"
        default: "pot_king"
        }
    }

    static func encode(_ value: some Encodable) -> String {
        // Encoding these plain value types cannot fail.
        String(decoding: try! JSONEncoder().encode(value), as: UTF8.self)
    }
}
