import Fluent
import Vapor

/// A partie as one caller sees it.
struct VisiblePartie {
    let partie: Partie
    let id: Int
    let isMJ: Bool
}

extension Partie {
    /// The partie if the caller belongs to it. Anyone else gets the same 404 as for a partie that
    /// does not exist, so another group's partie is never revealed.
    static func visible(_ id: Int, to caller: Caller, on db: any Database) async throws -> VisiblePartie {
        guard
            let partie = try await Partie.query(on: db)
                .filter(\.$id == id)
                .join(PartieMember.self, on: \Partie.$id == \PartieMember.$partie.$id)
                .filter(PartieMember.self, \.$user.$id == caller.userID)
                .first()
        else {
            throw AppError.notFound("Partie introuvable.")
        }
        return VisiblePartie(partie: partie, id: id, isMJ: partie.$mj.id == caller.userID)
    }

    /// Like `visible`, but only for the MJ; members who are not get `refusal`, a 403.
    static func managed(
        _ id: Int, by caller: Caller, on db: any Database,
        refusal: AppError = .forbidden("Seul le MJ de la partie peut faire cela.")
    ) async throws -> VisiblePartie {
        let visible = try await visible(id, to: caller, on: db)
        guard visible.isMJ else { throw refusal }
        return visible
    }

    static func isMember(_ partieID: Int, userID: Int, on db: any Database) async throws -> Bool {
        try await PartieMember.query(on: db)
            .filter(\.$partie.$id == partieID)
            .filter(\.$user.$id == userID)
            .count() > 0
    }
}

extension PartieMember {
    /// Who may see a partie's sessions, for the hot statements: joins `m`, the member row of the
    /// user whose id the parameter `user` (`$1`…) holds, in the partie that the column `partie`
    /// names, so that a stranger's query finds no row and gets the same 404 as for what does not
    /// exist.
    static func membership(of user: String, inPartie partie: String) -> String {
        "JOIN \(schema) m ON m.partie_id = \(partie) AND m.user_id = \(user)"
    }
}
