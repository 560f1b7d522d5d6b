import Vapor

func routes(_ app: Application) throws {
    app.get("health") { _ in HealthResponse(status: "ok") }
    try app.register(collection: AccountsController())
    try app.register(collection: ScenariosController())
    try app.register(collection: PartiesController())
    try app.register(collection: CharactersController())
    try app.register(collection: SessionsController())
    try app.register(collection: PresenceController())
    try app.register(collection: LiveController())
    try app.register(collection: CardsController())
    try app.register(collection: ChatController())
    try app.register(collection: OpenAPIController())
    try app.register(collection: WebController(publicDirectory: app.directory.publicDirectory))
}

struct HealthResponse: Content {
    let status: String
}
