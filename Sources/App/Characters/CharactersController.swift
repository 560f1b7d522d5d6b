import EtrangeDomain
import Fluent
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
    let createdAt: Date

    init(_ character: Character) throws {
        id = try character.requireID()
        userId = character.$user.id
        partieId = character.$partie.id
        name = character.name
        figure = character.figure.flatMap(Suit.init(rawValue:))
        createdAt = character.createdAt
    }
}

struct CharactersController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let characters = routes.grouped(TokenAuthMiddleware()).grouped("api", "characters")
        characters.post(use: create)
        characters.get(use: list)
        characters.get(":id", use: show)
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
        let character = Character(name: name, userID: caller.userID, partieID: body.partieId, now: req.now)
        character.figure = body.figure?.rawValue
        try await character.create(on: req.db)
        return try await CharacterResponse(character).encodeResponse(status: .created, for: req)
    }

    /// The caller's own characters, optionally those of one partie.
    func list(req: Request) async throws -> Page<CharacterResponse> {
        let caller = try req.caller
        let pageRequest = try PageRequest(req, defaultPer: 50)
        let query = Character.query(on: req.db).filter(\.$user.$id == caller.userID)
        if let raw = req.queryValue("partie_id") {
            guard let partieID = Int(raw) else {
                throw AppError.invalid(field: "partie_id", reason: "doit être un entier.")
            }
            query.filter(\.$partie.$id == partieID)
        }
        return try await query.sort(\.$createdAt).sort(\.$id).paginate(pageRequest).map(CharacterResponse.init)
    }

    /// Visible to its owner and to the members of its partie, who play beside it.
    func show(req: Request) async throws -> CharacterResponse {
        let caller = try req.caller
        guard let character = try await Character.find(req.uuidParameter(), on: req.db) else {
            throw AppError.notFound("Personnage introuvable.")
        }
        if character.$user.id != caller.userID {
            guard let partieID = character.$partie.id,
                try await Partie.isMember(partieID, userID: caller.userID, on: req.db)
            else {
                throw AppError.notFound("Personnage introuvable.")
            }
        }
        return try CharacterResponse(character)
    }
}
