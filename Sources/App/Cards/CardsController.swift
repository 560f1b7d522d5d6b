import EtrangeDomain
import Fluent
import SQLKit
import Vapor

/// Card draws tied to a session: the server draws with the system's cryptographically secure
/// generator from the character's deck, records every draw and announces the public ones in the
/// chat. Decks belong to characters (`CharactersController` edits them and their pot).
struct CardsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let session = routes.grouped(TokenAuthMiddleware()).grouped("api", "sessions", ":id")
        session.post("draws", use: draw)
        session.get("draws", use: history)
        session.get("decks", ":deck", use: showDeck)
    }

    /// Whose deck: a character's, or the MJ's own (`mj`), the 52 cards.
    struct DeckOwner: Sendable {
        let ownerID: Int
        let character: Character?

        var deck: CharacterDeck { get throws { try character?.deck ?? .gameMaster } }
    }

    /// The deck named in the path, if the caller may see it: the character's owner or the MJ.
    private func owner(of req: Request, caller: Caller, visible: VisibleSession) async throws -> DeckOwner {
        guard let raw = req.parameters.get("deck") else { throw AppError.invalid(field: "deck", reason: "manquant.") }
        if raw == "mj" {
            guard visible.partie.isMJ else { throw AppError.forbidden("Seul le MJ a un paquet à lui.") }
            return DeckOwner(ownerID: caller.userID, character: nil)
        }
        guard let characterID = UUID(uuidString: raw) else {
            throw AppError.invalid(field: "deck", reason: "un identifiant de personnage ou « mj » est attendu.")
        }
        let found = try await Character.live(characterID, on: req.db)
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
        return DeckOwner(ownerID: character.$user.id, character: character)
    }

    func showDeck(req: Request) async throws -> DeckResponse {
        let caller = try req.caller
        let visible = try await Session.visible(req.uuidParameter(), to: caller, on: req.db)
        let owner = try await owner(of: req, caller: caller, visible: visible)
        let deck = try owner.deck
        let table = CardValueTable.named(visible.session.cardValues) ?? .current
        return DeckResponse(
            sessionId: visible.id, characterId: owner.character?.id, ownerId: owner.ownerID,
            figure: owner.character?.figure.flatMap(Suit.init(rawValue:)), valueTable: table.name,
            remaining: deck.cards.count, cards: deck.cards.map { CardResponse($0, table: table) },
            spent: Rank.figures.filter { deck.pot.place(of: $0) == .spent }.map {
                CardResponse(Card($0, of: deck.suit, origin: .pot), table: table)
            },
            pot: CharacterDeckView(deck).pot, hasJoker: deck.joker)
    }

    /// A draw read its deck before a concurrent one spent a pot figure it also drew.
    private struct PotRace: Error {}
    static let potAttempts = 5

    /// The hottest write after chat, so it goes the same way: a light membership read, then one
    /// statement that locks the session and reads its state, the seat and idleness. The deck is
    /// read before the transaction; the pot figures the draw spends are written conditionally
    /// (still in the deck), so two simultaneous draws never spend one figure twice: the later
    /// one finds it gone, and draws again from the deck as it now is.
    func draw(req: Request) async throws -> Response {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let body = try req.json(DrawRequest.self)
        let access = try await Session.access(id, of: caller, on: req.readDB)
        let request = try Self.validate(body)
        try req.limit(
            "draw:\(caller.userID)", req.application.config.limits.draws, reason: "Trop de tirages d'affilée.")
        let reason = try Check.optionalText(body.reason, field: "reason", maxLength: 200)
        if let characterID = body.characterId {
            let playable = try await Character.live(characterID, on: req.readDB).map {
                $0.$user.id == caller.userID && ($0.$partie.id == nil || $0.$partie.id == access.partieID)
            }
            guard playable == true else {
                throw AppError.invalid(
                    field: "character_id", reason: "aucun de vos personnages de cette partie n'a cet identifiant.")
            }
        } else {
            guard access.isMJ else {
                throw AppError.invalid(field: "character_id", reason: "choisissez le personnage qui fait le test.")
            }
            guard request.reference == nil else {
                throw AppError.invalid(
                    field: "sheet", reason: "un test tiré de la fiche nomme le personnage qui le fait.")
            }
        }

        for _ in 1...Self.potAttempts {
            // Read afresh at each attempt: a retry draws from the deck as the other draw left it,
            // committed before this one heard of the race. Read from a reader: the writer may be
            // busy with a batch of other tables' lines.
            let character = try await body.characterId.asyncMap { try await Character.live($0, on: req.readDB) } ?? nil
            if body.characterId != nil, character == nil { throw AppError.notFound("Personnage introuvable.") }
            let owner = DeckOwner(ownerID: caller.userID, character: character)
            let sheet = try character?.sheet()
            let test: TestRequest
            do {
                test = try sheet?.filling(request) ?? request
            } catch {
                throw AppError.invalid(field: "sheet", reason: error.reason)
            }
            do {
                return try await record(
                    test, owner: owner, effects: sheet?.effects ?? [], body: body, reason: reason, access: access,
                    in: id, req: req)
            } catch is PotRace {
                continue
            }
        }
        throw AppError.conflict("Le paquet a changé pendant le tirage, plusieurs fois de suite : réessayez.")
    }

    private func record(
        _ request: TestRequest, owner: DeckOwner, effects: [TriggeredEffect], body: DrawRequest, reason: String?,
        access: SessionAccess, in id: UUID, req: Request
    ) async throws -> Response {
        let caller = try req.caller
        let now = req.now
        let deckBefore = try owner.deck
        let named = {
            var named = request
            named.characterName = owner.character?.name ?? caller.user.shownName
            return named
        }()
        // Draws at random once the session and the seat allow it: once per attempt.
        let decide: @Sendable (Participation.Writer) throws -> DrawWrite = { writer in
            guard writer.status == .active else {
                throw AppError.conflict(
                    "On ne tire des cartes que pendant une session en cours ; celle-ci est « \(writer.status.rawValue) » (\(writer.status.label))."
                )
            }
            guard access.isMJ || writer.seated else {
                throw AppError.forbidden("Rejoignez la session pour tirer des cartes.")
            }
            if !access.isMJ, writer.role?.drawsCards == false {
                throw AppError.forbidden("Vous observez cette session : les observateurs ne tirent pas de cartes.")
            }
            var deck = deckBefore
            var random = SystemRandomNumberGenerator()
            let result: TestResult
            do {
                result = try deck.test(
                    named, with: CardValueTable.named(writer.cardValues) ?? .current, effects: effects,
                    using: &random)
            } catch let refusal as TestRefusal {
                if case .deck(let error) = refusal { throw AppError.conflict(error.reason) }
                let field = if case .jokerValue = refusal { "joker_value" } else { "bonuses" }
                throw AppError.invalid(field: field, reason: refusal.reason)
            }
            let spent = Set(
                Rank.figures.filter { deck.pot.place(of: $0) == .spent && deckBefore.pot.place(of: $0) == .deck })
            let draw = SessionDraw()
            draw.id = UUID()
            draw.$session.id = id
            draw.$user.id = caller.userID
            draw.$character.id = owner.character?.id
            draw.mode = named.mode
            draw.visibility = body.visibility
            draw.reason = reason
            draw.result = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
            draw.total = result.total
            draw.createdAt = now
            return DrawWrite(
                draw: draw,
                response: try DrawResponse(draw, user: caller.user, characterName: owner.character?.name),
                spend: owner.character?.id.flatMap { spent.isEmpty ? nil : SpendFiguresStatement(spent, of: $0) },
                chatLine: body.visibility == .public
                    ? .init(
                        kind: .draw, body: result.chatLine, author: caller.user, drawID: draw.id, sessionID: id, at: now
                    )
                    : nil,
                event: body.visibility == .public ? (.all, nil) : (.mj, caller.userID))
        }
        // The answer is the text of the draw's event: encoded once.
        let drawn: String
        do {
            guard let group = req.application.groupCommit else { throw NeedsTransaction() }
            drawn = try await group.submit { batch in
                let write = try decide(try Participation.writer(caller.userID, in: id, at: now, in: batch))
                if let spend = write.spend, try batch.first(spend) == nil { throw PotRace() }
                try batch.run(DrawStatement(write.draw))
                let (event, json) = (write.event, try LiveEvents.encoded(write.response))
                try LiveEvents.record(
                    .cardsDrawn, in: id, text: json, at: now, visibility: event.visibility,
                    recipientID: event.recipientID, audience: [], messageID: nil, in: batch)
                if let line = write.chatLine { try Chat.post(line, in: batch) }
                return json
            }
        } catch is NeedsTransaction {
            drawn = try await req.db.transaction { db in
                guard let writer = try await Participation.lockForWriter(caller.userID, in: id, on: db) else {
                    throw AppError.notFound("Session introuvable.")
                }
                let write = try decide(writer)
                if let spend = write.spend, try await db.first(spend) == nil { throw PotRace() }
                _ = try await db.all(DrawStatement(write.draw))
                try await Participation.active(userID: caller.userID, in: id, idle: writer.idle, at: now, on: db)
                let (event, json) = (write.event, try LiveEvents.encoded(write.response))
                try await LiveEvents.record(
                    .cardsDrawn, in: id, text: json, at: now, visibility: event.visibility,
                    recipientID: event.recipientID, audience: [], messageID: nil, on: db)
                if let line = write.chatLine { try await Chat.post(line, on: db) }
                return json
            }
        }
        await req.announce(id)
        return .json(drawn, status: .created)
    }

    /// What a draw writes, decided under the session's lock from what the writer's statement read,
    /// the same in SQLite's group commit and in a transaction of its own: its row, its answer, the
    /// pot figures it spends (written only if they are still in the deck), a public draw's line.
    private struct DrawWrite: Sendable {
        let draw: SessionDraw
        let response: DrawResponse
        let spend: SpendFiguresStatement?
        let chatLine: Chat.NewLine?
        let event: (visibility: EventVisibility, recipientID: Int?)
    }

    /// Checks the request's fields, each failure naming its field; the domain checks the rest.
    static func validate(_ body: DrawRequest) throws -> TestRequest {
        if body.difficulty != nil, body.difficultyPreset != nil {
            throw AppError.invalid(field: "difficulty", reason: "une difficulté ou un préréglage, pas les deux.")
        }
        if let difficulty = body.difficulty { _ = try Check.integer(difficulty, field: "difficulty", in: -100...100) }
        if body.sheet != nil, body.characteristic != nil || !(body.bonuses ?? []).isEmpty {
            throw AppError.invalid(
                field: "sheet", reason: "un test vient de la fiche ou de valeurs saisies, pas des deux à la fois.")
        }
        if let figure = body.socialInfluence, !Rank.figures.contains(figure) {
            throw AppError.invalid(
                field: "social_influence", reason: "une figure est attendue : Valet (J), Dame (Q) ou Roi (K).")
        }
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
            difficulty: body.difficultyPreset?.value ?? body.difficulty, mode: body.mode ?? .classic,
            reference: body.sheet, jokerValue: body.jokerValue, influence: body.socialInfluence)
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

/// A draw's row, as `SessionDraw` stores it.
struct DrawStatement: HotStatement {
    static let sql = """
        INSERT INTO \(SessionDraw.schema)
          (id, session_id, user_id, character_id, mode, visibility, reason, result, total, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        """
    let binds: [HotBind]

    init(_ draw: SessionDraw) {
        binds = [
            .uuid(draw.id), .uuid(draw.$session.id), .int(draw.$user.id), .uuid(draw.$character.id),
            .text(draw.mode.rawValue), .text(draw.visibility.rawValue), .text(draw.reason), .text(draw.result),
            .int(draw.total), .date(draw.createdAt),
        ]
    }
}

/// The pot figures a draw spends, all or none: a row comes back only if every one of them was
/// still in the deck, so two draws at once never spend one figure twice (the later one draws again).
struct SpendFiguresStatement: HotStatement {
    static let sql = """
        UPDATE \(Character.schema) SET
          pot_jack = CASE WHEN $1 THEN '\(PotPlace.spent.rawValue)' ELSE pot_jack END,
          pot_queen = CASE WHEN $2 THEN '\(PotPlace.spent.rawValue)' ELSE pot_queen END,
          pot_king = CASE WHEN $3 THEN '\(PotPlace.spent.rawValue)' ELSE pot_king END
        WHERE id = $4
          AND (NOT $1 OR pot_jack = '\(PotPlace.deck.rawValue)') AND (NOT $2 OR pot_queen = '\(PotPlace.deck.rawValue)')
          AND (NOT $3 OR pot_king = '\(PotPlace.deck.rawValue)')
        RETURNING id
        """
    let binds: [HotBind]

    init(_ figures: Set<Rank>, of characterID: UUID) {
        binds = [
            .bool(figures.contains(.jack)), .bool(figures.contains(.queen)), .bool(figures.contains(.king)),
            .uuid(characterID),
        ]
    }
}
