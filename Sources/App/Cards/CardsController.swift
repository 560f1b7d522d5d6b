import EtrangeDomain
import Fluent
import Vapor

/// Card draws tied to a session: the server shuffles with the system's cryptographically secure
/// generator, records every draw and announces the public ones in the chat.
struct CardsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let session = routes.grouped(TokenAuthMiddleware()).grouped("api", "sessions", ":id")
        session.post("draws", use: draw)
        session.get("draws", use: history)
        let deck = session.grouped("decks", ":deck")
        deck.get(use: showDeck)
        deck.post("shuffle") { req in try await self.changeDeck(req) { deck, random in deck.shuffle(using: &random) } }
        deck.post("pot") { req in
            let enabled = try req.json(ToggleRequest.self).enabled
            return try await self.changeDeck(req, needsFigure: enabled) { deck, random in
                if enabled { try deck.addPot(using: &random) } else { try deck.removePot() }
            }
        }
        deck.post("joker") { req in
            let enabled = try req.json(ToggleRequest.self).enabled
            return try await self.changeDeck(req) { deck, random in
                if enabled { try deck.addJoker(using: &random) } else { try deck.removeJoker() }
            }
        }
    }

    /// Whose deck: a character's, or the MJ's own (`mj`).
    struct DeckOwner {
        let key: String
        let ownerID: Int
        let character: Character?
    }

    /// The deck named in the path, if the caller may use it: the character's owner or the MJ.
    private func owner(of req: Request, caller: Caller, visible: VisibleSession) async throws -> DeckOwner {
        guard let raw = req.parameters.get("deck") else { throw AppError.invalid(field: "deck", reason: "manquant.") }
        if raw == "mj" {
            guard visible.partie.isMJ else { throw AppError.forbidden("Seul le MJ a un paquet à lui.") }
            return DeckOwner(key: "mj:\(caller.userID)", ownerID: caller.userID, character: nil)
        }
        guard let characterID = UUID(uuidString: raw) else {
            throw AppError.invalid(field: "deck", reason: "un identifiant de personnage ou « mj » est attendu.")
        }
        let found = try await Character.find(characterID, on: req.db)
        // The MJ reaches the decks of the partie's players, never those of strangers.
        let ownerPlaysHere =
            try await found.asyncMap { try await Partie.isMember(visible.partie.id, userID: $0.$user.id, on: req.db) }
            ?? false
        guard let character = found,
            character.$partie.id == nil || character.$partie.id == visible.partie.id,
            character.$user.id == caller.userID || (visible.partie.isMJ && ownerPlaysHere)
        else {
            throw AppError.notFound("Paquet introuvable.")
        }
        return DeckOwner(key: characterID.uuidString, ownerID: character.$user.id, character: character)
    }

    /// The owner's deck in the session, dealt and shuffled on first use with the session's card values.
    static func loadDeck(_ owner: DeckOwner, in sessionID: UUID, cardValues: String, now: Date, on db: any Database)
        async throws -> (SessionDeck, Deck)
    {
        if let row = try await SessionDeck.query(on: db).filter(\.$session.$id == sessionID).filter(
            \.$deckKey == owner.key
        ).first() {
            return (row, try row.deck())
        }
        var random = SystemRandomNumberGenerator()
        var deck = Deck(
            figure: owner.character?.figure.flatMap(Suit.init(rawValue:)) ?? .spades,
            valueTable: CardValueTable.named(cardValues) ?? .current)
        deck.shuffle(using: &random)
        let row = SessionDeck()
        row.$session.id = sessionID
        row.deckKey = owner.key
        row.$owner.id = owner.ownerID
        row.$character.id = owner.character?.id
        row.createdAt = now
        row.updatedAt = now
        try row.store(deck)
        return (row, deck)
    }

    private func response(_ deck: Deck, owner: DeckOwner, sessionID: UUID) -> DeckResponse {
        DeckResponse(
            sessionId: sessionID, characterId: owner.character?.id, ownerId: owner.ownerID,
            figure: owner.character?.figure.flatMap(Suit.init(rawValue:)), valueTable: deck.valueTable.name,
            remaining: deck.drawPile.count,
            discard: deck.discardPile.map { CardResponse($0, table: deck.valueTable) },
            hasPot: deck.hasPot, hasJoker: deck.hasJoker)
    }

    func showDeck(req: Request) async throws -> DeckResponse {
        let caller = try req.caller
        let visible = try await Session.visible(req.uuidParameter(), to: caller, on: req.db)
        let owner = try await owner(of: req, caller: caller, visible: visible)
        let (_, deck) = try await Self.loadDeck(
            owner, in: visible.id, cardValues: visible.session.cardValues, now: req.now, on: req.db)
        return response(deck, owner: owner, sessionID: visible.id)
    }

    private func changeDeck(
        _ req: Request, needsFigure: Bool = false,
        _ change: @escaping @Sendable (inout Deck, inout SystemRandomNumberGenerator) throws -> Void
    ) async throws -> DeckResponse {
        let caller = try req.caller
        let visible = try await Session.visible(req.uuidParameter(), to: caller, on: req.db)
        let owner = try await owner(of: req, caller: caller, visible: visible)
        try req.limit(
            "deck:\(caller.userID)", req.application.config.limits.deckActions,
            reason: "Trop de manipulations de paquet d'affilée.")
        if needsFigure, owner.character?.figure == nil {
            throw AppError.conflict(
                "Ce paquet n'a pas de figure : le pot est fait des figures de la couleur du personnage.")
        }
        let now = req.now
        let deck = try await req.db.transaction { db -> Deck in
            guard let session = try await Participation.lockSession(visible.id, on: db) else {
                throw AppError.notFound("Session introuvable.")
            }
            guard !session.status.isFinal else {
                throw AppError.conflict(
                    "La session est « \(session.status.rawValue) » (\(session.status.label)) : ses paquets sont rangés."
                )
            }
            var (row, deck) = try await Self.loadDeck(
                owner, in: visible.id, cardValues: session.cardValues, now: now, on: db)
            var random = SystemRandomNumberGenerator()
            do {
                try change(&deck, &random)
            } catch let error as DeckError {
                throw AppError.conflict(error.reason)
            }
            try row.store(deck)
            row.updatedAt = now
            try await row.save(on: db)
            return deck
        }
        return response(deck, owner: owner, sessionID: visible.id)
    }

    /// The hottest write after chat, so it goes the same way: a light membership read, then one
    /// statement that locks the session and reads its state, the seat and idleness.
    func draw(req: Request) async throws -> Response {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let body = try req.json(DrawRequest.self)
        let access = try await Session.access(id, of: caller, on: req.readDB)
        let request = try Self.validate(body)
        try req.limit(
            "draw:\(caller.userID)", req.application.config.limits.draws, reason: "Trop de tirages d'affilée.")
        let reason = try Check.optionalText(body.reason, field: "reason", maxLength: 200)

        let owner: DeckOwner
        if let characterID = body.characterId {
            guard let character = try await Character.find(characterID, on: req.readDB),
                character.$user.id == caller.userID,
                character.$partie.id == nil || character.$partie.id == access.partieID
            else {
                throw AppError.invalid(
                    field: "character_id", reason: "aucun de vos personnages de cette partie n'a cet identifiant.")
            }
            owner = DeckOwner(key: characterID.uuidString, ownerID: caller.userID, character: character)
        } else {
            guard access.isMJ else {
                throw AppError.invalid(field: "character_id", reason: "choisissez le personnage qui fait le test.")
            }
            owner = DeckOwner(key: "mj:\(caller.userID)", ownerID: caller.userID, character: nil)
        }

        let now = req.now
        let drawn = try await req.db.transaction { db -> SessionDraw in
            guard let writer = try await Participation.lockForWriter(caller.userID, in: id, on: db) else {
                throw AppError.notFound("Session introuvable.")
            }
            guard writer.status == .active else {
                throw AppError.conflict(
                    "On ne tire des cartes que pendant une session en cours ; celle-ci est « \(writer.status.rawValue) » (\(writer.status.label))."
                )
            }
            guard access.isMJ || writer.seated else {
                throw AppError.forbidden("Rejoignez la session pour tirer des cartes.")
            }
            var (row, deck) = try await Self.loadDeck(owner, in: id, cardValues: writer.cardValues, now: now, on: db)
            var random = SystemRandomNumberGenerator()
            var named = request
            named.characterName = owner.character?.name ?? caller.user.shownName
            let result: TestResult
            do {
                result = try deck.test(named, using: &random)
            } catch let refusal as TestRefusal {
                throw AppError.invalid(field: "bonuses", reason: refusal.reason)
            }
            try row.store(deck)
            row.updatedAt = now
            try await row.save(on: db)

            let draw = SessionDraw()
            draw.$session.id = id
            draw.$user.id = caller.userID
            draw.$character.id = owner.character?.id
            draw.mode = named.mode
            draw.visibility = body.visibility
            draw.reason = reason
            draw.result = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
            draw.total = result.total
            draw.createdAt = now
            try await draw.create(on: db)
            try await Participation.active(userID: caller.userID, in: id, idle: writer.idle, at: now, on: db)

            let response = try DrawResponse(draw, user: caller.user, characterName: owner.character?.name)
            switch body.visibility {
            case .public:
                try await LiveEvents.record(.cardsDrawn, in: id, data: response, at: now, on: db)
                try await Chat.post(
                    .draw, body: result.chatLines.joined(separator: "\n"), by: caller.user,
                    drawID: draw.id, in: id, at: now, on: db)
            case .mj:
                try await LiveEvents.record(
                    .cardsDrawn, in: id, data: response, at: now,
                    visibility: .mj, recipientID: caller.userID, on: db)
            }
            return draw
        }
        await req.announce(id)
        return try await DrawResponse(drawn, user: caller.user, characterName: owner.character?.name)
            .encodeResponse(status: .created, for: req)
    }

    /// Checks the request's fields, each failure naming its field; the domain checks the rest.
    static func validate(_ body: DrawRequest) throws -> TestRequest {
        if let difficulty = body.difficulty { _ = try Check.integer(difficulty, field: "difficulty", in: -100...100) }
        let characteristic = try body.characteristic.map { payload in
            Characteristic(
                name: try Check.text(payload.name, field: "characteristic.name", length: 1...40),
                value: try Check.integer(payload.value, field: "characteristic.value", in: -50...50))
        }
        let payloads = body.bonuses ?? []
        guard payloads.count <= TestRequest.maxBonuses else {
            throw AppError.invalid(field: "bonuses", reason: "\(TestRequest.maxBonuses) bonus au plus.")
        }
        let bonuses = try payloads.enumerated().map { index, bonus in
            Bonus(
                name: try Check.text(bonus.name, field: "bonuses[\(index)].name", length: 1...40),
                value: try Check.integer(bonus.value, field: "bonuses[\(index)].value", in: -50...50))
        }
        return TestRequest(
            characterName: "", characteristic: characteristic, bonuses: bonuses,
            difficulty: body.difficulty, mode: body.mode ?? .classic)
    }

    /// Newest first. A secret (`mj`) draw is listed only to the MJ and to whoever drew it.
    func history(req: Request) async throws -> Page<DrawResponse> {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let visible = try await Session.visible(id, to: caller, on: req.db)
        let pageRequest = try PageRequest(req)
        let query = SessionDraw.query(on: req.db).filter(\.$session.$id == id)
        if !visible.partie.isMJ {
            query.group(.or) { $0.filter(\.$visibility == .public).filter(\.$user.$id == caller.userID) }
        }
        if let raw = req.queryValue("user_id") {
            guard let userID = Int(raw) else {
                throw AppError.invalid(field: "user_id", reason: "doit être un entier.")
            }
            query.filter(\.$user.$id == userID)
        }
        if let raw = req.queryValue("character_id") {
            guard let characterID = UUID(uuidString: raw) else {
                throw AppError.invalid(field: "character_id", reason: "doit être un UUID.")
            }
            query.filter(\.$character.$id == characterID)
        }
        return try await query.sort(\.$createdAt, .descending).sort(\.$id, .descending)
            .with(\.$user).with(\.$character).paginate(pageRequest)
            .map { try DrawResponse($0, user: $0.user, characterName: $0.character?.name) }
    }
}
