import EtrangeDomain
import Fluent
import Foundation
import Vapor

/// `GET /api/sessions/{id}/recap.md` and `GET /api/parties/{id}/log.md`: the accounts of the
/// evenings as Markdown files, safe to hand to players.
struct ExportsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let auth = routes.grouped(TokenAuthMiddleware())
        auth.get("api", "sessions", ":id", "recap.md", use: recap)
        auth.get("api", "parties", ":id", "log.md", use: log)
    }

    func recap(req: Request) async throws -> Response {
        let visible = try await Session.visible(req.uuidParameter(), to: req.caller, on: req.db)
        let recaps = try await Self.recaps(
            of: [visible.session], partie: visible.partie, reader: req.caller.userID, timeZone: try Self.timeZone(req),
            on: req.db, now: req.now)
        return Self.file(recaps[0].markdown(), name: visible.session.name)
    }

    func log(req: Request) async throws -> Response {
        let zone = try Self.timeZone(req)
        let partie = try await Partie.visible(req.intParameter(), to: req.caller, on: req.db)
        let sessions = try await Session.query(on: req.db)
            .filter(\.$partie.$id == partie.id)
            .filter(\.$status == .completed)
            .sort(\.$startedAt).sort(\.$createdAt)
            .all()
        var text = "# Journal de campagne — \(Markdown.inline(partie.partie.name))\n\n"
        text +=
            sessions.isEmpty
            ? "*Aucune session terminée pour l'instant.*\n"
            : "\(sessions.count) session\(sessions.count > 1 ? "s" : "") terminée\(sessions.count > 1 ? "s" : ""), de la plus ancienne à la plus récente.\n\n"
        for recap in try await Self.recaps(
            of: sessions, partie: partie, reader: req.caller.userID, timeZone: zone, on: req.db, now: req.now)
        {
            text += recap.markdown(level: 2)
        }
        return Self.file(text, name: "journal " + partie.partie.name)
    }

    /// Everything the accounts need, in a fixed number of queries whatever the number of sessions.
    /// `?tz=America/Montreal` for a table abroad; the server's zone otherwise.
    static func timeZone(_ req: Request) throws -> TimeZone {
        guard let name = req.queryValue("tz") else { return req.application.config.timeZone }
        guard name.count <= 64, let zone = TimeZone(identifier: name) else {
            throw AppError.invalid(field: "tz", reason: "un fuseau horaire IANA est attendu, par exemple Europe/Paris.")
        }
        return zone
    }

    static func recaps(
        of sessions: [Session], partie: VisiblePartie, reader: Int, timeZone: TimeZone, on db: any Database, now: Date
    ) async throws -> [Recap] {
        guard !sessions.isEmpty else { return [] }
        let ids = try sessions.map { try $0.requireID() }
        let seats = try await SessionParticipant.query(on: db).filter(\.$session.$id ~~ ids).sort(\.$joinedAt).all()
        var draws = SessionDraw.query(on: db).filter(\.$session.$id ~~ ids)
        if !partie.isMJ { draws = draws.filter(\.$visibility == .public) }
        let drawRows = try await draws.sort(\.$createdAt).all()
        // Announcements for everyone; private lines for the MJ, and for a player only theirs.
        let lineRows = try await Chat.readable(by: reader, isMJ: partie.isMJ, in: ids, on: db)
            .filter(\.$scope ~~ [.private, .announcement]).filter(\.$deletedAt == nil).sort(\.$id).all()
        let lines = try await Chat.responses(for: lineRows, on: db)
        let userIDs = Set(seats.map { $0.$user.id } + drawRows.map { $0.$user.id })
        let users = userIDs.isEmpty ? [] : try await User.query(on: db).filter(\.$id ~~ userIDs).all()
        let nameByUser = Dictionary(
            uniqueKeysWithValues: try users.map { (try $0.requireID(), $0.displayName ?? $0.username) })
        let characterIDs = Set(
            seats.compactMap { $0.$character.id } + drawRows.compactMap { $0.$character.id }
                + sessions.flatMap { $0.characterDevelopments?.items.map(\.characterId) ?? [] })
        let characters =
            characterIDs.isEmpty ? [] : try await Character.query(on: db).filter(\.$id ~~ characterIDs).all()
        let characterNames = Dictionary(uniqueKeysWithValues: try characters.map { (try $0.requireID(), $0.name) })

        return try sessions.map { session in
            let id = try session.requireID()
            let sessionSeats = seats.filter { $0.$session.id == id }.map { seat in
                Recap.Seat(
                    name: nameByUser[seat.$user.id] ?? "?",
                    character: seat.$character.id.flatMap { characterNames[$0] },
                    role: seat.role, minutes: seat.playedTime.minutes(at: now))
            }
            let sessionDraws = try drawRows.filter { $0.$session.id == id }.map { draw in
                Recap.Draw(
                    at: draw.createdAt, who: nameByUser[draw.$user.id] ?? "?", line: try draw.testResult().chatLine,
                    reason: draw.reason, secret: draw.visibility == .mj)
            }
            return Recap(
                session: session, partieName: partie.partie.name, seats: sessionSeats, draws: sessionDraws,
                lines: lines.filter { $0.sessionId == id },
                characterNames: characterNames, forMJ: partie.isMJ, timeZone: timeZone, now: now)
        }
    }

    static func file(_ text: String, name: String) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "markdown", parameters: ["charset": "utf-8"])
        headers.replaceOrAdd(name: .contentDisposition, value: "inline; filename=\"\(slug(name)).md\"")
        headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return Response(status: .ok, headers: headers, body: .init(string: text))
    }

    /// A file name any phone accepts: « La Nuit d'Été » becomes `la-nuit-d-ete`.
    static func slug(_ name: String) -> String {
        let folded = name.folding(
            options: [.diacriticInsensitive, .caseInsensitive], locale: Locale(identifier: "fr_FR")
        ).lowercased()
        let parts = folded.split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }
        let slug = parts.joined(separator: "-")
        return slug.isEmpty ? "compte-rendu" : String(slug.prefix(80))
    }
}
