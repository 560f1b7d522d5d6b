import Fluent
import Vapor

/// Scenarios are a shared catalogue: every signed-in person sees them all.
struct ScenariosController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let scenarios = routes.grouped(TokenAuthMiddleware()).grouped("api", "scenarios")
        scenarios.get(use: list)
        scenarios.post(use: create)
    }

    func list(req: Request) async throws -> Page<ScenarioResponse> {
        _ = try req.caller
        return try await Scenario.query(on: req.db)
            .sort(\.$title).sort(\.$id)
            .paginate(PageRequest(req, defaultPer: 50))
            .map(ScenarioResponse.init)
    }

    func create(req: Request) async throws -> Response {
        let caller = try req.caller
        let body = try req.json(CreateScenarioRequest.self)
        let scenario = Scenario(
            title: try Check.text(body.title, field: "title", length: 1...200, scalars: 200),
            description: try Check.optionalText(body.description, field: "description", maxLength: 5000),
            creatorID: caller.userID, now: req.now)
        try req.limit(
            "scenarios:\(caller.userID)", req.application.config.limits.scenarios,
            reason: "Trop de scénarios créés d'affilée.")
        try await scenario.create(on: req.db)
        return try await ScenarioResponse(scenario).encodeResponse(status: .created, for: req)
    }
}
