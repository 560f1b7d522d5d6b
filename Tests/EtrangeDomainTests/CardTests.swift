import EtrangeDomain
import Foundation
import Testing

@Suite struct CardTests {
    @Test func frenchLabels() {
        #expect(Card(.ace, of: .spades).label == "As de pique")
        #expect(Card(.seven, of: .hearts).label == "7 de cœur")
        #expect(Card(.ten, of: .clubs).label == "10 de trèfle")
        #expect(Card(.jack, of: .diamonds).label == "Valet de carreau")
        #expect(Card(.queen, of: .hearts).label == "Dame de cœur")
        #expect(Card(.king, of: .clubs).label == "Roi de trèfle")
        #expect(Card.joker.label == "Joker")
    }

    @Test func articlesInsideASentence() {
        #expect(Card(.ace, of: .spades).labelWithArticle == "l'As de pique")
        #expect(Card(.queen, of: .hearts).labelWithArticle == "la Dame de cœur")
        #expect(Card(.king, of: .hearts).labelWithArticle == "le Roi de cœur")
        #expect(Card(.jack, of: .diamonds).labelWithArticle == "le Valet de carreau")
        #expect(Card(.seven, of: .spades).labelWithArticle == "le 7 de pique")
        #expect(Card.joker.labelWithArticle == "le Joker")
    }

    @Test func aPotFigureIsAnotherCardWithTheSameLabel() {
        let base = Card(.jack, of: .spades)
        let pot = Card(.jack, of: .spades, origin: .pot)
        #expect(base != pot)
        #expect(Set([base, pot]).count == 2)
        #expect(pot.label == base.label)
    }

    @Test func theGameMastersDeckIsTheFiftyTwoCards() {
        let cards = CharacterDeck.gameMaster.cards
        #expect(cards.count == 52)
        #expect(Set(cards).count == 52)
        #expect(cards.allSatisfy { $0.origin == .base && !$0.isJoker })
        #expect(cards.first == Card(.ace, of: .spades))
        #expect(cards.last == Card(.king, of: .clubs))
        for suit in Suit.allCases {
            #expect(cards.filter { $0.suit == suit }.count == 13)
        }
    }

    @Test func cardsAreStoredReadably() throws {
        let encoded = try JSONEncoder().encode([Card(.queen, of: .hearts, origin: .pot), .joker])
        let json = try #require(String(data: encoded, encoding: .utf8))
        #expect(
            json.contains(#""rank":"Q""#) && json.contains(#""suit":"hearts""#) && json.contains(#""origin":"pot""#))
        #expect(json.contains(#""rank":"joker""#) && json.contains(#""origin":"item""#))
        let all =
            CharacterDeck.gameMaster.cards + Rank.figures.map { Card($0, of: .diamonds, origin: .pot) }
            + [.joker, Card(.king, of: .hearts, origin: .influence)]
        #expect(try JSONDecoder().decode([Card].self, from: JSONEncoder().encode(all)) == all)
    }

    @Test(arguments: [
        #"{"rank":"7","suit":"spades","origin":"pot"}"#,
        #"{"rank":"joker","origin":"base"}"#,
        #"{"rank":"1","suit":"spades","origin":"base"}"#,
        #"{"rank":"K","origin":"base"}"#,
        #"{"rank":"5","suit":"hearts","origin":"influence"}"#,
    ])
    func impossibleCardsAreRefused(json: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Card.self, from: Data(json.utf8)) }
    }
}

@Suite struct CardValueTableTests {
    @Test func currentRule() {
        let table = CardValueTable.current
        let expected: [Rank: Int] = [
            .ace: 1, .two: 2, .three: 3, .four: 4, .five: 5, .six: 6, .seven: 7,
            .eight: 8, .nine: 9, .ten: 10, .jack: 10, .queen: 10, .king: 10,
        ]
        #expect(table.values == expected)
        #expect(table.joker == 10)
        #expect(table.name == "current")
    }

    @Test func classicRule() {
        let table = CardValueTable.classic
        let expected: [Rank: Int] = [
            .two: 2, .three: 3, .four: 4, .five: 5, .six: 6, .seven: 7, .eight: 8,
            .nine: 9, .ten: 10, .jack: 11, .queen: 12, .king: 13, .ace: 14,
        ]
        #expect(table.values == expected)
        #expect(table.joker == 14)
        #expect(table.name == "classic")
    }

    @Test func suitsDoNotChangeAValue() {
        for rank in Rank.allCases {
            let values = Set(Suit.allCases.map { CardValueTable.classic.value(of: Card(rank, of: $0)) })
            #expect(values == [CardValueTable.classic.value(of: rank)])
        }
        #expect(CardValueTable.current.value(of: Card(.king, of: .spades, origin: .pot)) == 10)
    }

    @Test func theJokerIsTheHighestValueUnlessTheTableSaysOtherwise() {
        let flat = CardValueTable(name: "flat", label: "Tout à 5") { _ in 5 }
        #expect(flat.value(of: .joker) == 5)
        let generous = CardValueTable(name: "generous", label: "Joker 20", joker: 20) { _ in 5 }
        #expect(generous.value(of: .joker) == 20)
        #expect(CardValueTable.current.value(of: .joker) == 10)
        #expect(CardValueTable.classic.value(of: .joker) == 14)
    }

    @Test func builtInTablesAreFoundByName() {
        #expect(CardValueTable.named("current") == .current)
        #expect(CardValueTable.named("classic") == .classic)
        #expect(CardValueTable.named("maison") == nil)
    }

    @Test func aCustomTableIsStoredWhole() throws {
        let custom = CardValueTable(name: "maison", label: "Règle de la maison", joker: 0) { rank in
            rank == .ace ? 11 : 3
        }
        let decoded = try JSONDecoder().decode(CardValueTable.self, from: JSONEncoder().encode(custom))
        #expect(decoded == custom)
        #expect(decoded.value(of: .ace) == 11 && decoded.value(of: .joker) == 0)
    }

    @Test func aTableMissingARankIsRefused() {
        let json = #"{"name":"x","label":"x","joker":1,"values":{"A":1,"2":2}}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(CardValueTable.self, from: Data(json.utf8)) }
    }
}
