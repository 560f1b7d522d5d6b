import EtrangeDomain
import Fluent
import Foundation
import Vapor

/// `/api/calendar`: the subscription URL (managed with the bearer token) and the feed itself
/// (read with the secret in its URL).
struct CalendarController: RouteCollection {
    /// Most events one feed lists, the latest scheduled first.
    static let maxEvents = 500

    func boot(routes: any RoutesBuilder) throws {
        let calendar = routes.grouped("api", "calendar")
        let feed = calendar.grouped(TokenAuthMiddleware()).grouped("feed")
        feed.get(use: show)
        feed.post(use: create)
        feed.delete(use: delete)
        calendar.get(":secret", use: ics)
    }

    func show(req: Request) async throws -> CalendarFeedResponse {
        let feed = try await CalendarFeed.query(on: req.db).filter(\.$user.$id == req.caller.userID).first()
        return CalendarFeedResponse(
            active: feed != nil, createdAt: feed?.createdAt, lastUsedAt: feed?.lastUsedAt, url: nil)
    }

    /// Creates the feed, or replaces its secret: the previous URL stops working at once.
    func create(req: Request) async throws -> Response {
        let caller = try req.caller
        let secret = UserToken.generate()
        let now = req.now
        try await req.db.transaction { db in
            try await CalendarFeed.query(on: db).filter(\.$user.$id == caller.userID).delete()
            let feed = CalendarFeed()
            feed.$user.id = caller.userID
            feed.secretHash = secret.hash
            feed.createdAt = now
            try await feed.create(on: db)
        }
        let url = "\(req.application.config.publicURL)/api/calendar/\(secret.value).ics"
        return try await CalendarFeedResponse(active: true, createdAt: now, lastUsedAt: nil, url: url)
            .encodeResponse(status: .created, for: req)
    }

    func delete(req: Request) async throws -> HTTPStatus {
        try await CalendarFeed.query(on: req.db).filter(\.$user.$id == req.caller.userID).delete()
        return .noContent
    }

    func ics(req: Request) async throws -> Response {
        guard let file = req.parameters.get("secret"), file.hasSuffix(".ics"), file.count <= 100 else {
            throw AppError.notFound("Agenda introuvable.")
        }
        let secret = String(file.dropLast(4))
        guard
            let feed = try await CalendarFeed.query(on: req.db)
                .filter(\.$secretHash == UserToken.digest(secret)).with(\.$user).first()
        else {
            throw AppError.notFound("Agenda introuvable : l'adresse a peut-être été renouvelée ou supprimée.")
        }
        let userID = feed.$user.id
        var partieIDs = try await PartieMember.query(on: req.db).filter(\.$user.$id == userID).all().map {
            $0.$partie.id
        }
        if let raw = req.queryValue("partie_id") {
            guard let id = Int(raw), id > 0 else {
                throw AppError.invalid(field: "partie_id", reason: "doit être un entier positif.")
            }
            guard partieIDs.contains(id) else { throw AppError.notFound("Partie introuvable.") }
            partieIDs = [id]
        }
        let parties = partieIDs.isEmpty ? [] : try await Partie.query(on: req.db).filter(\.$id ~~ partieIDs).all()
        // A series' sessions are its occurrences: its own events show them, not these.
        let series = try await SeriesFeed.load(partieIDs: partieIDs, on: req.db)
        let sessions =
            partieIDs.isEmpty
            ? []
            : try await Session.query(on: req.db)
                .filter(\.$partie.$id ~~ partieIDs)
                .filter(\.$scheduledDate != nil)
                .filter(\.$id !~ Array(series.sessionIDs))
                .sort(\.$scheduledDate, .descending)
                .limit(Self.maxEvents)
                .all()
        let now = req.now
        // A feed read is not worth a write each time a phone polls: once an hour is enough to tell.
        if feed.lastUsedAt.map({ now.timeIntervalSince($0) > 3600 }) ?? true {
            feed.lastUsedAt = now
            try? await feed.save(on: req.db)
        }
        let body = Self.calendar(
            for: feed.user, sessions: sessions, series: series, parties: parties,
            publicURL: req.application.config.publicURL, now: now)
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "calendar", parameters: ["charset": "utf-8"])
        headers.replaceOrAdd(name: .cacheControl, value: "private, max-age=300")
        headers.replaceOrAdd(name: .contentDisposition, value: "inline; filename=\"etrange-france.ics\"")
        return Response(status: .ok, headers: headers, body: .init(string: body))
    }

    static func calendar(
        for user: User, sessions: [Session], series: SeriesFeed, parties: [Partie], publicURL: String, now: Date
    ) -> String {
        let partieByID = Dictionary(
            uniqueKeysWithValues: parties.compactMap { partie in partie.id.map { ($0, partie) } })
        var ics = ICalendar()
        ics.property("BEGIN", "VCALENDAR")
        ics.property("VERSION", "2.0")
        ics.property("PRODID", "-//Etrange France//Sessions//FR")
        ics.property("CALSCALE", "GREGORIAN")
        ics.property("METHOD", "PUBLISH")
        ics.text("X-WR-CALNAME", "Étrange France — \(user.displayName ?? user.username)")
        ics.property("REFRESH-INTERVAL;VALUE=DURATION", "PT1H")
        ics.property("X-PUBLISHED-TTL", "PT1H")
        for session in sessions {
            guard let id = session.id, let start = session.scheduledDate, let partie = partieByID[session.$partie.id]
            else { continue }
            ics.property("BEGIN", "VEVENT")
            ics.property("UID", "session-\(id.uuidString.lowercased())@etrange-france")
            ics.date("DTSTAMP", now)
            ics.date("DTSTART", start)
            ics.date("DTEND", start.addingTimeInterval(TimeInterval(partie.sessionLengthMinutes * 60)))
            ics.property("SEQUENCE", String(session.revision))
            ics.property("STATUS", session.status == .cancelled ? "CANCELLED" : "CONFIRMED")
            ics.text("SUMMARY", "\(partie.name) — \(session.name)")
            var description = "Session « \(session.name) » de la partie « \(partie.name) » (\(session.status.label))."
            if let more = session.description, !more.isEmpty { description += "\n\n" + more }
            ics.text("DESCRIPTION", description)
            ics.property("URL", "\(publicURL)/")
            ics.date("CREATED", session.createdAt)
            ics.date("LAST-MODIFIED", session.updatedAt)
            // The same offsets as the webhook's reminders, for a session still to come only: a
            // cancelled or finished one must not ring.
            if session.status == .scheduled {
                ics.alarms(partie.reminderOffsetList, name: session.name, partie: partie.name)
            }
            ics.property("END", "VEVENT")
        }
        ics.series(series, parties: partieByID, publicURL: publicURL, now: now)
        ics.property("END", "VCALENDAR")
        return ics.text
    }
}
