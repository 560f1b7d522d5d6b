import SQLKit
import Vapor

func routes(_ app: Application) throws {
    app.get("health", use: health)
    try app.register(collection: AccountsController())
    try app.register(collection: PasswordResetController())
    try app.register(collection: ScenariosController())
    try app.register(collection: PartiesController())
    try app.register(collection: CharactersController())
    try app.register(collection: SessionsController())
    try app.register(collection: PresenceController())
    try app.register(collection: WaitlistController())
    try app.register(collection: LiveController())
    try app.register(collection: CardsController())
    try app.register(collection: ReferenceController())
    try app.register(collection: ChatController())
    try app.register(collection: HandoutsController(maxBytes: app.config.handoutLimits.maxBytes))
    try app.register(collection: CalendarController())
    try app.register(collection: WebhooksController())
    try app.register(collection: AttendanceController())
    try app.register(collection: RSVPController())
    try app.register(collection: DatePollsController())
    try app.register(collection: PartieChangesController())
    try app.register(collection: SeriesController())
    try app.register(collection: ExportsController())
    try app.register(collection: MetricsController())
    try app.register(collection: OpenAPIController())
    try app.register(collection: WebController(publicDirectory: app.directory.publicDirectory))
}

struct HealthResponse: Content {
    let status: String
    let database: String
}

/// Alive and able to reach its database: what a load balancer or an orchestrator asks.
@Sendable
func health(req: Request) async -> Response {
    let reachable = (try? await req.db.sql.raw("SELECT 1 AS ok").first()) != nil
    let body = HealthResponse(status: reachable ? "ok" : "degraded", database: reachable ? "ok" : "unreachable")
    let response = Response(status: reachable ? .ok : .serviceUnavailable)
    try? response.content.encode(body, using: JSONCoding.encoder)
    return response
}
