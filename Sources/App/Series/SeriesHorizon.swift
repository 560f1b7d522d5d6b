import EtrangeDomain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Runs the top-up pass on every instance, from boot to shutdown, whatever the webhooks' setting.
/// Tests call `SeriesTopUp.topUpDue` on the pinned clock instead of waiting for it.
final class SeriesHorizonLoop: LifecycleHandler, Sendable {
    /// The horizon shrinks from 4 to 3 as an occurrence starts; making the next one half a minute
    /// later changes nothing for anyone, and a turn that finds nothing due is one indexed read.
    static let interval: Duration = .seconds(30)

    private let loop = BackgroundTask()
    private let every: Duration

    /// `every` shorter than `interval` only for a test that watches the loop turn.
    init(every: Duration = SeriesHorizonLoop.interval) {
        self.every = every
    }

    func didBootAsync(_ application: Application) async throws {
        let every = every
        loop.start { [weak application] in
            while !Task.isCancelled {
                guard let application else { return }
                do {
                    try await SeriesTopUp.topUpDue(on: application.db, at: application.clock.now())
                } catch {
                    application.logger.warning("series: top-up failed: \(String(reflecting: error))")
                }
                try? await Task.sleep(for: every)
            }
        }
    }

    func shutdownAsync(_ application: Application) async {
        await loop.stop()
    }
}

/// Keeps each series' next occurrences made into sessions. A series says in `refill_at` when
/// its horizon next shrinks (its next occurrence starts), so most passes read one indexed column
/// and write nothing. The top-up itself runs under the series' row lock and the unique (series,
/// index) key, so two instances at once make each occurrence once.
enum SeriesTopUp {

    private struct Due: Decodable { let id: UUID }

    /// Tops up every series whose horizon has shrunk by `now`; returns how many sessions it made.
    @discardableResult
    static func topUpDue(on db: any Database, at now: Date) async throws -> Int {
        let due = try await db.sql.select().column("id").from(SessionSeries.schema)
            .where("refill_at", .lessThanOrEqual, SQLBind(now))
            .limit(100)
            .all(decoding: Due.self)
        var made = 0
        for series in due {
            made += try await db.transaction { db in try await topUp(series.id, at: now, in: db) }
        }
        return made
    }

    /// Makes the sessions of the horizon that do not exist yet, in the caller's transaction;
    /// returns how many. Occurrences that passed while nothing ran are skipped, not made in the
    /// past (the calendar feed shows them as excluded).
    @discardableResult
    static func topUp(_ id: UUID, at now: Date, in db: any Database) async throws -> Int {
        guard let series = try await SessionSeries.lock(id, on: db) else { return 0 }
        let rule = try series.rule
        let through = SeriesHorizon.materialisedThrough(rule, now: now)
        let from = max(series.nextIndex, rule.firstIndex(after: now) ?? rule.total)
        var made = 0
        if from < through {
            // An occurrence made early (`POST …/occurrences/{index}`) is already there.
            let existing = Set(
                try await SeriesOccurrence.query(on: db).filter(\.$series.$id == id)
                    .filter(\.$index >= from).all().map(\.index))
            for index in from..<through where !existing.contains(index) {
                guard let start = rule.occurrence(index) else { break }
                try await make(index, at: start, of: series, now: now, on: db)
                made += 1
            }
        }
        series.nextIndex = max(series.nextIndex, through)
        series.refillAt = through < rule.total ? rule.occurrence(through - SeriesHorizon.ahead) : nil
        try await series.save(on: db)
        return made
    }

    /// The session of occurrence `index`, a normal scheduled one from the series' template, and
    /// its key; the unique key refuses a second one for the same occurrence.
    @discardableResult
    static func make(_ index: Int, at start: Date, of series: SessionSeries, now: Date, on db: any Database)
        async throws -> Session
    {
        let session = Session(
            partieID: series.$partie.id, name: series.name, description: series.description, scheduledDate: start,
            maxPlayers: series.maxPlayers, allowLateJoin: series.allowLateJoin, now: now)
        try await session.create(on: db)
        let link = SeriesOccurrence()
        link.$series.id = try series.requireID()
        link.index = index
        link.$session.id = try session.requireID()
        link.originalStart = start
        try await link.create(on: db)
        return session
    }
}
