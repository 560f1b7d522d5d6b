import EtrangeDomain
import Fluent
import Vapor

/// `etrange seed-demo`: a demo MJ, two players, a scenario, a partie, characters and a scheduled
/// session, so a newcomer can click through at once. Running it again changes nothing and prints
/// the same logins.
struct SeedDemoCommand: EtrangeCommand {
    static let spec = CommandSpec(
        "seed-demo",
        summary: "Crée des comptes de démonstration, une partie et une session, et affiche les identifiants.",
        details: "La base doit être à jour (etrange migrate). Relancée, la commande ne change rien.")

    init(_ arguments: ParsedArguments) {}

    var database: DatabaseUse { .upToDate }

    static let password = "etrange-demo"
    static let accounts = [("mj-demo", "Marianne (MJ)"), ("armand", "Armand"), ("berenice", "Bérénice")]

    func run(_ app: Application) async throws {
        let db = app.db
        let now = app.clock.now()
        var users: [User] = []
        for (username, displayName) in Self.accounts {
            if let existing = try await User.query(on: db).filter(\.$usernameKey == User.key(for: username)).first() {
                users.append(existing)
                continue
            }
            let hash = try await app.password.async.hash(Self.password).get()
            let user = User(username: username, passwordHash: hash, displayName: displayName, now: now)
            try await user.create(on: db)
            users.append(user)
        }
        let mj = users[0]
        let mjID = try mj.requireID()
        let partie: Partie
        if let existing = try await Partie.query(on: db).filter(\.$mj.$id == mjID).filter(
            \.$name == "Les Ombres de Carcassonne"
        ).first() {
            partie = existing
        } else {
            let scenario = Scenario(
                title: "Les Ombres de Carcassonne",
                description: "Une enquête étrange dans la cité médiévale.", creatorID: mjID, now: now)
            try await scenario.create(on: db)
            partie = Partie(
                name: "Les Ombres de Carcassonne", scenarioID: try scenario.requireID(), mjID: mjID,
                inviteCode: InviteCode.generate(), now: now)
            try await partie.create(on: db)
            let partieID = try partie.requireID()
            for user in users {
                try await PartieMember(partieID: partieID, userID: try user.requireID(), now: now).create(on: db)
            }
            for (user, name) in zip(users.dropFirst(), ["Armand de Montfort", "Bérénice Lacroix"]) {
                try await Character(name: name, userID: try user.requireID(), partieID: partieID, now: now).create(
                    on: db)
            }
            try await Session(
                partieID: partieID, name: "Session 1 - La rencontre mystérieuse",
                description: "Première session de la campagne",
                scheduledDate: now.addingTimeInterval(7 * 24 * 3600), maxPlayers: 4,
                allowLateJoin: true, now: now
            ).create(on: db)
        }
        print("Démo prête : partie « \(partie.name) », code d'invitation \(partie.inviteCode)")
        for (username, displayName) in Self.accounts {
            print("  \(displayName) : identifiant « \(username) », mot de passe « \(Self.password) »")
        }
        print("Ouvrez \(app.config.publicURL)/ et connectez-vous.")
    }
}
