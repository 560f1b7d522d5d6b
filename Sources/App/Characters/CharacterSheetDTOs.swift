import EtrangeDomain
import Vapor

/// One pot figure and where it is.
struct PotFigureView: Content {
    let rank: Rank
    let label: String
    let place: PotPlace
    let placeLabel: String
}

/// A character's deck as it stands between sessions: its rows, the pot and the joker.
struct CharacterDeckView: Content {
    let suit: Suit
    let rows: [DeckRow]
    let pot: [PotFigureView]
    let joker: Bool
    /// How many cards a draw chooses from now.
    let cardCount: Int

    init(_ deck: CharacterDeck) {
        suit = deck.suit
        rows = deck.rows
        pot = Rank.figures.map { rank in
            let place = deck.pot.place(of: rank)
            return PotFigureView(rank: rank, label: rank.label, place: place, placeLabel: place.label)
        }
        joker = deck.joker
        cardCount = deck.cards.count
    }
}

/// The whole sheet at once, as the web form holds it; the deck's rows and the joker with it, for
/// the MJ who changes a deck over a campaign.
struct UpdateSheetRequest: Content {
    var characteristics: [SheetCharacteristic]
    var skills: [SheetAbility]?
    var capacities: [SheetAbility]?
    var profession: SheetScore?
    var hobby: SheetScore?
    var voie: SheetScore?
    var effects: [TriggeredEffect]?
    var deckRows: [DeckRow]?
    var joker: Bool?

    static let maxEntries = 60
    static let maxRows = 8

    /// Sizes and lengths, each naming its field; the domain checks that the names hold together.
    func validated() throws -> (CharacterSheet, [DeckRow]?) {
        func name(_ value: String, _ field: String) throws -> String {
            try Check.text(value, field: field, length: 1...40)
        }
        func count(_ items: [some Any], _ field: String, max: Int = Self.maxEntries) throws {
            guard items.count <= max else { throw AppError.invalid(field: field, reason: "\(max) au plus.") }
        }
        try count(characteristics, "characteristics")
        let characteristics = try characteristics.enumerated().map { index, item in
            SheetCharacteristic(
                name: try name(item.name, "characteristics[\(index)].name"),
                value: try Check.integer(item.value, field: "characteristics[\(index)].value", in: -50...50),
                reducedBy: item.reducedBy)
        }
        func abilities(_ items: [SheetAbility]?, _ field: String) throws -> [SheetAbility] {
            let items = items ?? []
            try count(items, field)
            return try items.enumerated().map { index, item in
                SheetAbility(
                    name: try name(item.name, "\(field)[\(index)].name"),
                    level: try Check.integer(item.level, field: "\(field)[\(index)].level", in: -50...50),
                    raises: item.raises)
            }
        }
        func score(_ item: SheetScore?, _ field: String) throws -> SheetScore? {
            try item.map {
                SheetScore(
                    name: try name($0.name, "\(field).name"),
                    score: try Check.integer($0.score, field: "\(field).score", in: -50...50))
            }
        }
        let effects = effects ?? []
        try count(effects, "effects")
        let sheet = CharacterSheet(
            characteristics: characteristics, skills: try abilities(skills, "skills"),
            capacities: try abilities(capacities, "capacities"), profession: try score(profession, "profession"),
            hobby: try score(hobby, "hobby"), voie: try score(voie, "voie"),
            effects: try effects.enumerated().map { index, effect in
                var effect = effect
                effect.description = try Check.text(
                    effect.description, field: "effects[\(index)].description", length: 1...300)
                return effect
            })
        do {
            try sheet.validate()
        } catch {
            throw AppError.invalid(field: "sheet", reason: error.reason)
        }
        if let deckRows {
            try count(deckRows, "deck_rows", max: Self.maxRows)
            for (index, row) in deckRows.enumerated() where Set(row.ranks).count != row.ranks.count {
                throw AppError.invalid(field: "deck_rows[\(index)].ranks", reason: "une valeur y apparaît deux fois.")
            }
            guard deckRows.contains(where: { !$0.ranks.isEmpty }) || joker == true else {
                throw AppError.invalid(field: "deck_rows", reason: "le paquet doit garder au moins une carte.")
            }
        }
        return (sheet, deckRows)
    }
}

struct AddPotFigureRequest: Content {
    var figure: Rank
}
