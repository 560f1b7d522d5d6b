import EtrangeDomain
import Fluent
import SQLKit
import Vapor

/// Recurring sessions: the MJ writes a series, every member reads it; its occurrences are normal
/// sessions, made `SeriesHorizon.ahead` at a time by `SeriesTopUp`.
struct SeriesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let api = routes.grouped(TokenAuthMiddleware()).grouped("api")
        api.get("parties", ":id", "series", use: list)
        api.post("parties", ":id", "series", use: create)
        let series = api.grouped("series", ":id")
        series.get(use: show)
        series.patch(use: update)
        series.post("occurrences", ":index", use: makeOccurrence)
    }

    func list(req: Request) async throws -> [SeriesResponse] {
        let partie = try await Partie.visible(req.intParameter(), to: req.caller, on: req.readDB)
        let series = try await SessionSeries.query(on: req.readDB).filter(\.$partie.$id == partie.id)
            .sort(\.$createdAt, .descending).limit(50).all()
        return try await Self.responses(series, now: req.now, on: req.readDB)
    }

    func show(req: Request) async throws -> SeriesResponse {
        let (series, _) = try await SessionSeries.visible(req.uuidParameter(), to: req.caller, on: req.readDB)
        return try await Self.responses([series], now: req.now, on: req.readDB)[0]
    }

    func create(req: Request) async throws -> Response {
        let caller = try req.caller
        let body = try req.json(CreateSeriesRequest.self)
        let partie = try await Partie.managed(
            req.intParameter(), by: caller, on: req.db, refusal: SessionSeries.onlyTheMJ)
        let now = req.now
        let rule = try Self.rule(
            RecurrenceRule.make(
                frequency: body.frequency, interval: body.interval, firstDate: body.firstDate, time: body.time,
                timeZone: body.timeZone ?? "Europe/Paris", monthlyWeek: body.monthlyWeek, count: body.count,
                until: body.until), now: now)
        let series = SessionSeries()
        series.$partie.id = partie.id
        series.name = try SessionFields.name(body.name)
        series.description = try SessionFields.description(body.description)
        series.maxPlayers = try SessionFields.maxPlayers(body.maxPlayers ?? 6)
        series.allowLateJoin = body.allowLateJoin ?? true
        series.set(rule)
        series.nextIndex = 0
        series.createdAt = now
        series.updatedAt = now
        try await req.db.transaction { db in
            try await series.create(on: db)
            try await SeriesTopUp.topUp(series.requireID(), at: now, in: db)
        }
        let response = try await Self.reload(series.requireID(), now: now, on: req.db)
        return try await response.encodeResponse(status: .created, for: req)
    }

    /// This occurrence and all those after it: the series ends before it, and a new series with
    /// the fields sent takes over from it (the same series when it is the first). The sessions
    /// already made from it that are still to be played move to the new rule, keeping their
    /// answers; a cancelled one stays as it is, outside the series. With `cancelled`, nothing
    /// takes over and the sessions still to be played are deleted.
    func update(req: Request) async throws -> Response {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let body = try req.json(UpdateSeriesRequest.self)
        let (found, _) = try await SessionSeries.managed(id, by: caller, on: req.db)
        switch body.scope {
        case "following": break
        case "one":
            throw AppError.invalid(
                field: "scope",
                reason:
                    "une seule occurrence est une session : modifiez-la par PUT /api/sessions/{id} ou annulez-la par POST /api/sessions/{id}/cancel."
            )
        default:
            throw AppError.invalid(
                field: "scope", reason: "valeurs possibles : following (cette occurrence et les suivantes).")
        }
        let now = req.now
        let old = try found.rule
        let k = body.occurrence
        guard let start = old.occurrence(k) else {
            throw AppError.invalid(
                field: "occurrence", reason: "la série n'a pas d'occurrence \(k) (de 0 à \(old.total - 1)).")
        }
        guard start > now else {
            throw AppError.invalid(
                field: "occurrence", reason: "cette occurrence est passée : choisissez-en une à venir.")
        }
        let cancelled = body.cancelled ?? false
        // The new rule, checked before anything is written: the fields sent, the others as they
        // were, the first date that of the occurrence, and what was left of a count.
        let endSent = body.count != nil || body.until != nil
        let remaining: Int? = found.count.map { $0 - k }
        let next = try Self.rule(
            RecurrenceRule.make(
                frequency: body.frequency ?? found.frequency.rawValue, interval: body.interval ?? found.interval,
                firstDate: body.firstDate ?? old.day(k).text, time: body.time ?? found.localTime,
                timeZone: body.timeZone ?? found.timeZone, monthlyWeek: body.monthlyWeek,
                count: endSent ? body.count : remaining, until: endSent ? body.until : found.untilDate), now: now)
        let name = try body.name.map(SessionFields.name) ?? found.name
        let description = try body.description.map(SessionFields.description) ?? found.description
        let maxPlayers = try body.maxPlayers.map(SessionFields.maxPlayers) ?? found.maxPlayers
        let allowLateJoin = body.allowLateJoin ?? found.allowLateJoin

        // The series that takes over, and the sessions this change moves or deletes, whose open
        // pages hear it once it commits.
        let (takenOver, moved, deleted): (UUID?, [UUID], [UUID]) = try await req.db.transaction { db in
            var moved: [UUID] = []
            var deleted: [UUID] = []
            guard let series = try await SessionSeries.lock(id, on: db) else { throw SessionSeries.notFound }
            // Read again under the lock: another edit may have ended the series meanwhile.
            guard try series.rule.contains(k) else {
                throw AppError.conflict("La série vient de changer : rechargez-la avant de réessayer.")
            }
            let links = try await SeriesOccurrence.query(on: db).filter(\.$series.$id == id)
                .filter(\.$index >= k).sort(\.$index).with(\.$session).all()
            try await SeriesOccurrence.query(on: db).filter(\.$series.$id == id).filter(\.$index >= k).delete()
            let toPlay = links.map(\.session).filter { $0.status == .scheduled }
            if cancelled {
                for session in toPlay {
                    deleted.append(try session.requireID())
                    try await session.delete(on: db)
                }
                if k == 0 {
                    try await series.delete(on: db)
                } else {
                    try await Self.end(series, before: k, at: now, on: db)
                }
                return (nil, moved, deleted)
            }
            let target: SessionSeries
            if k == 0 {
                target = series
            } else {
                try await Self.end(series, before: k, at: now, on: db)
                target = SessionSeries()
                target.$partie.id = series.$partie.id
                target.createdAt = now
            }
            target.name = name
            target.description = description
            target.maxPlayers = maxPlayers
            target.allowLateJoin = allowLateJoin
            target.set(next)
            target.updatedAt = now
            target.nextIndex = 0
            target.refillAt = nil
            try await target.save(on: db)
            let targetID = try target.requireID()
            // The sessions already made move to the new rule's first occurrences still to come,
            // in order; those the new rule has no room for are deleted.
            var index = next.firstIndex(after: now) ?? next.total
            for session in toPlay {
                guard let date = next.occurrence(index) else {
                    deleted.append(try session.requireID())
                    try await session.delete(on: db)
                    continue
                }
                session.scheduledDate = date
                session.name = name
                session.description = description
                session.maxPlayers = max(
                    maxPlayers, try await Participation.seatedPlayers(in: session.requireID(), on: db))
                session.allowLateJoin = allowLateJoin
                session.updatedAt = now
                try await session.save(on: db)
                try await Session.bumpRevision(session.requireID(), on: db)
                try await LiveEvents.record(
                    .sessionUpdated, in: session.requireID(), data: SessionUpdatedEventData(session), at: now, on: db)
                moved.append(try session.requireID())
                let link = SeriesOccurrence()
                link.$series.id = targetID
                link.index = index
                link.$session.id = try session.requireID()
                link.originalStart = date
                try await link.create(on: db)
                index += 1
            }
            target.nextIndex = index
            try await target.save(on: db)
            try await SeriesTopUp.topUp(targetID, at: now, in: db)
            return (targetID, moved, deleted)
        }
        for id in moved { await req.announce(id) }
        for id in deleted { await req.application.live.announceDeletion(of: id) }
        guard let takenOver else { return Response(status: .noContent) }
        return try await Self.reload(takenOver, now: now, on: req.db).encodeResponse(for: req)
    }

    /// Makes occurrence `index` into its session ahead of the horizon, so that the MJ can move or
    /// cancel an evening months away; an occurrence already made answers its session as it is.
    func makeOccurrence(req: Request) async throws -> Response {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let index = try req.intParameter("index")
        _ = try await SessionSeries.managed(id, by: caller, on: req.db)
        let now = req.now
        let (sessionID, created): (UUID, Bool) = try await req.db.transaction { db in
            guard let series = try await SessionSeries.lock(id, on: db) else { throw SessionSeries.notFound }
            if let link = try await SeriesOccurrence.query(on: db).filter(\.$series.$id == id)
                .filter(\.$index == index).first()
            {
                return (link.$session.id, false)
            }
            let rule = try series.rule
            guard let start = rule.occurrence(index) else {
                throw AppError.invalid(field: "index", reason: "la série n'a pas d'occurrence \(index).")
            }
            guard index >= series.nextIndex, start > now else {
                throw AppError.conflict(
                    "Cette occurrence est passée ou a été supprimée : elle ne peut plus être planifiée.")
            }
            return (try await SeriesTopUp.make(index, at: start, of: series, now: now, on: db).requireID(), true)
        }
        let session = try await SessionResponse.load(sessionID, caller: caller, on: req.db, now: now)
        return try await session.encodeResponse(status: created ? .created : .ok, for: req)
    }

    /// The series ends before occurrence `index`; what it made before stays.
    static func end(_ series: SessionSeries, before index: Int, at now: Date, on db: any Database) async throws {
        series.set(try series.rule.ending(before: index))
        series.nextIndex = min(series.nextIndex, index)
        series.refillAt = nil
        series.updatedAt = now
        try await series.save(on: db)
    }

    /// The rule, or the request's field that refuses it; its first occurrence must be to come.
    static func rule(_ made: Result<RecurrenceRule, RecurrenceRefusal>, now: Date) throws -> RecurrenceRule {
        switch made {
        case .failure(let refusal): throw AppError.invalid(field: refusal.field, reason: refusal.reason)
        case .success(let rule):
            guard rule.instant(on: rule.firstDate) > now else {
                throw AppError.invalid(field: "first_date", reason: "la première séance doit être à venir.")
            }
            return rule
        }
    }

    static func reload(_ id: UUID, now: Date, on db: any Database) async throws -> SeriesResponse {
        guard let series = try await SessionSeries.find(id, on: db) else { throw SessionSeries.notFound }
        return try await responses([series], now: now, on: db)[0]
    }

    /// The series with their occurrences, in two reads whatever their number.
    static func responses(_ series: [SessionSeries], now: Date, on db: any Database) async throws -> [SeriesResponse] {
        let ids = try series.map { try $0.requireID() }
        guard !ids.isEmpty else { return [] }
        let links = try await SeriesOccurrence.query(on: db).filter(\.$series.$id ~~ ids).sort(\.$index)
            .with(\.$session).all()
        return try series.map { series in
            let id = try series.requireID()
            let rule = try series.rule
            let made = Dictionary(
                links.filter { $0.$series.id == id }.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
            // Every occurrence made or passed, then the next ones of the horizon not made yet.
            let shown = min(rule.total, max(series.nextIndex, SeriesHorizon.materialisedThrough(rule, now: now)))
            let extra = Set(made.keys.filter { $0 >= shown })
            let occurrences = (Array(0..<shown) + extra.sorted()).map { index in
                let start = rule.instant(on: rule.day(index))
                guard let link = made[index] else {
                    return SeriesResponse.Occurrence(
                        index: index, startsAt: start, sessionId: nil, scheduledDate: nil, status: nil,
                        exception: index < series.nextIndex ? SeriesException.cancelled.rawValue : nil)
                }
                let session = link.session
                return SeriesResponse.Occurrence(
                    index: index, startsAt: start, sessionId: session.id, scheduledDate: session.scheduledDate,
                    status: session.status,
                    exception: SeriesException(link: link, session: session)?.rawValue)
            }
            return SeriesResponse(
                id: id, partieId: series.$partie.id, name: series.name, description: series.description,
                maxPlayers: series.maxPlayers, allowLateJoin: series.allowLateJoin, frequency: series.frequency,
                interval: series.interval, firstDate: series.firstDate, time: series.localTime,
                timeZone: series.timeZone, monthlyWeek: series.monthlyWeek, count: series.count,
                until: series.untilDate, label: rule.label, rrule: rule.rrule, total: rule.total,
                occurrences: occurrences)
        }
    }
}

/// How an occurrence made into a session departs from its rule: the calendar feed writes a
/// cancelled one as an EXDATE and a moved one as its own VEVENT with a RECURRENCE-ID.
enum SeriesException: String {
    case moved, cancelled

    init?(link: SeriesOccurrence, session: Session) {
        guard session.status != .cancelled, let date = session.scheduledDate else {
            self = .cancelled
            return
        }
        guard abs(date.timeIntervalSince(link.originalStart)) >= 0.001 else { return nil }
        self = .moved
    }
}
