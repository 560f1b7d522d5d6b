import Fluent
import Vapor

/// `etrange migrate`: brings the database schema up to date and exits, without a prompt, so it
/// can run in deployment scripts.
struct MigrateCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Applies the pending database migrations." }

    func run(using context: CommandContext, signature: Signature) async throws {
        try await context.application.autoMigrate()
        context.console.print("Base de données à jour (\(Migrations.all.count) migrations).")
    }
}
