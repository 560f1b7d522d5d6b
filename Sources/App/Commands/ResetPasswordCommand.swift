import EtrangeDomain
import Fluent
import Foundation
import Vapor

/// `etrange reset-password USERNAME`: prints a link, valid one hour and once, that lets the person
/// choose a new password. There is no e-mail: the host hands the link over.
struct ResetPasswordCommand: EtrangeCommand {
    static let spec = CommandSpec(
        "reset-password",
        summary: "Affiche un lien, valable une heure et une seule fois, pour choisir un nouveau mot de passe.",
        details: "Transmettez le lien à la personne par un canal sûr. Le nouveau mot de passe déconnecte tous "
            + "ses appareils ; un nouveau lien annule le précédent.",
        arguments: ["UTILISATEUR"])

    let username: String

    init(_ arguments: ParsedArguments) {
        username = arguments.positionals[0]
    }

    var database: DatabaseUse { .upToDate }

    func run(_ app: Application) async throws {
        print(try await message(app))
    }

    /// What `run` prints, the link in it.
    func message(_ app: Application) async throws -> String {
        let typed = username.trimmingCharacters(in: .whitespacesAndNewlines)
        // As at login: accounts made before names were normalized keep the key of what was typed.
        let key = User.key(for: Username.normalized(typed))
        let users = try await User.query(on: app.db).filter(\.$usernameKey ~~ Set([key, User.key(for: typed)])).all()
        guard let user = users.first(where: { $0.usernameKey == key }) ?? users.first else {
            throw OperatorError("aucun compte ne s'appelle « \(typed) »")
        }
        let link = try await PasswordResets.issue(to: try user.requireID(), at: app.clock.now(), on: app.db)
        let expiry = link.expiresAt.formatted(.iso8601)
        return """
            Lien pour choisir un nouveau mot de passe pour « \(user.username) », valable une fois, jusqu'au \(expiry) :
              \(app.config.publicURL)/#/mot-de-passe/\(link.secret)
            """
    }
}
