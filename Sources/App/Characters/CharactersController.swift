import EtrangeDomain
import Fluent
import SQLKit
import Vapor

struct CreateCharacterRequest: Content {
    var name: String
    var partieId: Int?
    var figure: Suit?
}

struct CharacterResponse: Content {
    let id: UUID
    let userId: Int
    let partieId: Int?
    let name: String
    let figure: Suit?
    let sheet: CharacterSheet
    let deck: CharacterDeckView
    let createdAt: Date

    init(_ character: Character) throws {
        id = try character.requireID()
        userId = character.$user.id
        partieId = character.$partie.id
        name = character.name
        figure = character.figure.flatMap(Suit.init(rawValue:))
        sheet = try character.sheet()
        deck = CharacterDeckView(try character.deck)
        createdAt = character.createdAt
    }
}

struct CharactersController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let characters = routes.grouped(TokenAuthMiddleware()).grouped("api", "characters")
        characters.post(use: create)
        characters.get(use: list)
        characters.get(":id", use: show)
        characters.put(":id", "sheet", use: updateSheet)
        characters.post(":id", "pot", use: addPotFigure)
        characters.post(":id", "pot", "reset", use: resetPot)
        characters.delete(":id", use: delete)
    }

    func create(req: Request) async throws -> Response {
        let caller = try req.caller
        let body = try req.json(CreateCharacterRequest.self)
        let name = try Check.text(body.name, field: "name", length: 1...100, scalars: 100)
        try req.limit(
            "characters:\(caller.userID)", req.application.config.limits.characters,
            reason: "Trop de personnages créés d'affilée.")
        if let partieID = body.partieId {
            _ = try await Partie.visible(partieID, to: caller, on: req.db)
        }
        let character = Character(
            name: name, userID: caller.userID, partieID: body.partieId, figure: body.figure, now: req.now)
        try await character.create(on: req.db)
        return try await CharacterResponse(character).encodeResponse(status: .created, for: req)
    }

    /// The caller's own characters, optionally those of one partie.
    func list(req: Request) async throws -> Page<CharacterResponse> {
        let caller = try req.caller
        let pageRequest = try PageRequest(req, defaultPer: 50)
        let query = Character.query(on: req.db).filter(\.$user.$id == caller.userID).filter(\.$deletedAt == nil)
        if let raw = req.queryValue("partie_id") {
            guard let partieID = Int(raw) else {
                throw AppError.invalid(field: "partie_id", reason: "doit être un entier.")
            }
            query.filter(\.$partie.$id == partieID)
        }
        return try await query.sort(\.$createdAt).sort(\.$id).paginate(pageRequest).map(CharacterResponse.init)
    }

    func show(req: Request) async throws -> CharacterResponse {
        try CharacterResponse(try await Self.visible(req.uuidParameter(), to: try req.caller, on: req.db))
    }

    /// Visible to its owner and to the members of its partie, who play beside it; strangers get
    /// the same 404 as for no character.
    static func visible(_ id: UUID, to caller: Caller, on db: any Database) async throws -> Character {
        guard let character = try await Character.live(id, on: db) else {
            throw AppError.notFound("Personnage introuvable.")
        }
        if character.$user.id != caller.userID {
            guard let partieID = character.$partie.id,
                try await Partie.isMember(partieID, userID: caller.userID, on: db)
            else {
                throw AppError.notFound("Personnage introuvable.")
            }
        }
        return character
    }

    /// The character if the caller may change it: its owner, or the MJ of its partie. Others
    /// who can see it get a 403, strangers the same 404 as for no character.
    static func editable(_ id: UUID, by caller: Caller, on db: any Database) async throws -> Character {
        let character = try await visible(id, to: caller, on: db)
        if character.$user.id == caller.userID { return character }
        guard let partieID = character.$partie.id, try await Partie.visible(partieID, to: caller, on: db).isMJ else {
            throw AppError.forbidden("Seuls le joueur du personnage et le MJ de sa partie peuvent le modifier.")
        }
        return character
    }

    private static func limitDeckActions(_ req: Request, _ caller: Caller) throws {
        try req.limit(
            "deck:\(caller.userID)", req.application.config.limits.deckActions,
            reason: "Trop de manipulations de paquet d'affilée.")
    }

    func updateSheet(req: Request) async throws -> CharacterResponse {
        let caller = try req.caller
        let character = try await Self.editable(req.uuidParameter(), by: caller, on: req.db)
        let body = try req.json(UpdateSheetRequest.self)
        let (sheet, rows) = try body.validated()
        character.sheetJSON = Character.encode(sheet)
        if let rows { character.deckRowsJSON = Character.encode(rows) }
        if let joker = body.joker { character.joker = joker }
        try await character.save(on: req.db)
        return try CharacterResponse(character)
    }

    /// One figure from the pot into the deck, in one conditional write: two simultaneous adds of
    /// one figure cannot both succeed, and a figure a draw is spending stays spent.
    func addPotFigure(req: Request) async throws -> CharacterResponse {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let character = try await Self.editable(id, by: caller, on: req.db)
        let figure = try req.json(AddPotFigureRequest.self).figure
        guard Rank.figures.contains(figure) else {
            throw AppError.invalid(field: "figure", reason: DeckError.notAFigure(figure).reason)
        }
        try Self.limitDeckActions(req, caller)
        var pot = try character.deck.pot
        do {
            try pot.add(figure)
        } catch {
            throw AppError.conflict(error.reason)
        }
        let column = Character.column(of: figure)
        let moved = try await req.db.sql.update(Character.schema)
            .set(SQLIdentifier(column), to: PotPlace.deck.rawValue)
            .where("id", .equal, id).where(SQLIdentifier(column), .equal, PotPlace.pot.rawValue)
            .returning("id").all()
        let fresh = try await Character.live(id, on: req.db) ?? character
        if moved.isEmpty {
            var now = try fresh.deck.pot
            do { try now.add(figure) } catch { throw AppError.conflict(error.reason) }
            throw AppError.conflict("Le pot a changé pendant l'ajout : réessayez.")
        }
        return try CharacterResponse(fresh)
    }

    /// The three figures back in the pot, out of the deck, whatever their place.
    func resetPot(req: Request) async throws -> CharacterResponse {
        let caller = try req.caller
        let id = try req.uuidParameter()
        _ = try await Self.editable(id, by: caller, on: req.db)
        try Self.limitDeckActions(req, caller)
        var update = req.db.sql.update(Character.schema)
        for figure in Rank.figures {
            update = update.set(SQLIdentifier(Character.column(of: figure)), to: PotPlace.pot.rawValue)
        }
        try await update.where("id", .equal, id).run()
        guard let fresh = try await Character.live(id, on: req.db) else {
            throw AppError.notFound("Personnage introuvable.")
        }
        return try CharacterResponse(fresh)
    }
}
