import EtrangeDomain
import Fluent
import SQLKit
import Vapor

/// A session with the partie it belongs to, as one caller sees it.
struct VisibleSession {
    let session: Session
    let id: UUID
    let partie: VisiblePartie
}

/// What hot paths need to know of a session and its caller, read without models.
struct SessionAccess {
    let partieID: Int
    let isMJ: Bool
}

extension Session {
    /// `visible` for paths that need no more than the partie and the caller's role: one small read.
    static func access(_ id: UUID, of caller: Caller, on db: any Database) async throws -> SessionAccess {
        guard let row = try await db.first(AccessStatement(callerID: caller.userID, sessionID: id)) else {
            throw AppError.notFound("Session introuvable.")
        }
        return SessionAccess(
            partieID: try row.decode(column: "partie_id", as: Int.self),
            isMJ: try row.decode(column: "mj_id", as: Int.self) == caller.userID)
    }

    /// The session if the caller belongs to its partie; a 404 for anyone else, as for a session
    /// that does not exist.
    static func visible(_ id: UUID, to caller: Caller, on db: any Database) async throws -> VisibleSession {
        // One query for the session, its partie and the caller's membership: nearly every session
        // endpoint starts here.
        guard
            let session = try await Session.query(on: db)
                .filter(\.$id == id)
                .join(Partie.self, on: \Session.$partie.$id == \Partie.$id)
                .join(PartieMember.self, on: \Partie.$id == \PartieMember.$partie.$id)
                .filter(PartieMember.self, \.$user.$id == caller.userID)
                .first(),
            let partie = try? session.joined(Partie.self), let partieID = partie.id
        else {
            throw AppError.notFound("Session introuvable.")
        }
        return VisibleSession(
            session: session, id: id,
            partie: VisiblePartie(partie: partie, id: partieID, isMJ: partie.$mj.id == caller.userID))
    }

    /// Like `visible`, for what only the partie's MJ may do; other members get a 403.
    static func managed(_ id: UUID, by caller: Caller, on db: any Database) async throws -> VisibleSession {
        let visible = try await visible(id, to: caller, on: db)
        guard visible.partie.isMJ else {
            throw AppError.forbidden("Seul le MJ de la partie peut gérer ses sessions.")
        }
        return visible
    }
}

/// What the responses count, for several sessions at once.
extension Session {
    /// Counted in SQL, so two changes at once each count.
    static func bumpRevision(_ id: UUID, on db: any Database) async throws {
        try await db.sql.update(schema)
            .set(SQLIdentifier("revision"), to: SQLRaw("revision + 1"))
            .where("id", .equal, id)
            .run()
    }

    static func bumpRevisions(partieID: Int, on db: any Database) async throws {
        try await db.sql.update(schema)
            .set(SQLIdentifier("revision"), to: SQLRaw("revision + 1"))
            .where("partie_id", .equal, partieID)
            .run()
    }
}

/// `Session.access`: the partie and its MJ, if the caller (`$1`) is a member.
struct AccessStatement: HotStatement {
    static let sql = """
        SELECT s.partie_id, p.mj_id FROM \(Session.schema) s
        JOIN \(Partie.schema) p ON p.id = s.partie_id
        \(PartieMember.membership(of: "$1", inPartie: "p.id"))
        WHERE s.id = $2
        """
    let binds: [HotBind]

    init(callerID: Int, sessionID: UUID) {
        binds = [.int(callerID), .uuid(sessionID)]
    }
}
