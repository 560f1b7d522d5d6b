import EtrangeDomain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Queues the `session.reminder` webhooks that came due into the webhook outbox, which sends them
/// like any other delivery. Each reminder is keyed by (session, scheduled date, offset) in
/// `session_reminders`: the key is inserted or ignored in the transaction that queues the
/// delivery, so of two instances racing only the one whose insert wrote a row queues it, a pass
/// after a restart finds the key and queues nothing, and a session moved to another date has new
/// keys, hence reminders at its new time.
enum SessionReminders {
    static let schema = "session_reminders"

    /// One turn of the pass, run by the webhook dispatcher's loop before it sends: a reminder
    /// queued here goes out in the same turn.
    static func queueDue(_ app: Application) async {
        do {
            try await queueDue(on: app.db, at: app.clock.now())
        } catch {
            app.logger.warning("reminders: pass failed: \(String(reflecting: error))")
        }
    }

    /// Queues every reminder due at `now` and not queued yet; returns how many this pass queued.
    @discardableResult
    static func queueDue(on db: any Database, at now: Date) async throws -> Int {
        let horizon = now.addingTimeInterval(TimeInterval(ReminderOffsets.range.upperBound * 60))
        // Three columns per session rather than whole models: the pass runs every second on
        // every instance, over every session of the next 14 days.
        let sessions = Session.schema
        let parties = Partie.schema
        let candidates = try await db.sql.select()
            .column(SQLColumn("id", table: sessions))
            .column(SQLColumn("partie_id", table: sessions))
            .column(SQLColumn("scheduled_date", table: sessions))
            .column(SQLColumn("reminder_offsets_minutes", table: parties))
            .from(sessions)
            .join(parties, on: SQLColumn("id", table: parties), .equal, SQLColumn("partie_id", table: sessions))
            .where(SQLColumn("status", table: sessions), .equal, SQLBind(SessionStatus.scheduled.rawValue))
            .where(SQLColumn("scheduled_date", table: sessions), .greaterThan, SQLBind(now))
            .where(SQLColumn("scheduled_date", table: sessions), .lessThanOrEqual, SQLBind(horizon))
            .where(SQLColumn("reminder_offsets_minutes", table: parties), .notEqual, SQLBind(""))
            .all(decoding: Candidate.self)
        let due = candidates.flatMap { candidate in
            ReminderOffsets.due(candidate.offsets, start: candidate.scheduledDate, now: now).map {
                Key(sessionId: candidate.id, scheduledDate: candidate.scheduledDate, offsetMinutes: $0)
            }
        }
        guard !due.isEmpty else { return 0 }
        let partieOf = Dictionary(candidates.map { ($0.id, $0.partieId) }, uniquingKeysWith: { first, _ in first })
        // Most turns find every due reminder already queued: read the keys rather than write
        // (and take SQLite's writer) once a second for each.
        let queued = try await db.sql.select().columns("session_id", "scheduled_date", "offset_minutes")
            .from(schema)
            .where("session_id", .in, Array(Set(due.map(\.sessionId))))
            .all(decoding: Key.self)
        var count = 0
        for key in due where !queued.contains(where: { $0.matches(key) }) {
            guard let partieID = partieOf[key.sessionId] else { continue }
            if try await queue(key, partieID: partieID, at: now, on: db) { count += 1 }
        }
        return count
    }

    private struct Candidate: Decodable {
        let id: UUID
        let partieId: Int
        let scheduledDate: Date
        let reminderOffsetsMinutes: String

        var offsets: [Int] { ReminderOffsets.read(stored: reminderOffsetsMinutes) }

        enum CodingKeys: String, CodingKey {
            case id
            case partieId = "partie_id"
            case scheduledDate = "scheduled_date"
            case reminderOffsetsMinutes = "reminder_offsets_minutes"
        }
    }

    private struct Key: Decodable {
        let sessionId: UUID
        let scheduledDate: Date
        let offsetMinutes: Int

        /// The same reminder; the dates compared to the millisecond, as the databases round them.
        func matches(_ other: Key) -> Bool {
            sessionId == other.sessionId && offsetMinutes == other.offsetMinutes
                && abs(scheduledDate.timeIntervalSince(other.scheduledDate)) < 0.001
        }

        enum CodingKeys: String, CodingKey {
            case sessionId = "session_id"
            case scheduledDate = "scheduled_date"
            case offsetMinutes = "offset_minutes"
        }
    }

    /// Whether this call queued the reminder (false when another pass had its key).
    private static func queue(_ key: Key, partieID: Int, at now: Date, on db: any Database) async throws -> Bool {
        try await db.transaction { db in
            let won =
                try await db.sql.insert(into: schema)
                .columns("id", "session_id", "scheduled_date", "offset_minutes", "created_at")
                .values(
                    SQLBind(UUID()), SQLBind(key.sessionId), SQLBind(key.scheduledDate), SQLBind(key.offsetMinutes),
                    SQLBind(now)
                )
                .ignoringConflicts(with: ["session_id", "scheduled_date", "offset_minutes"])
                .returning("id")
                .first() != nil
            guard won else { return false }
            // Read again after the key: a move or a cancellation committed since the pass's read
            // must not be reminded at the old time (the key of the old date stays, unused).
            guard let session = try await Session.find(key.sessionId, on: db), session.status == .scheduled,
                let start = session.scheduledDate, abs(start.timeIntervalSince(key.scheduledDate)) < 0.001,
                let partie = try await Partie.find(partieID, on: db)
            else { return false }
            guard
                let webhook = try await PartieWebhook.query(on: db).filter(\.$partie.$id == partieID).first(),
                webhook.eventList.contains(.sessionReminder)
            else { return true }
            try await Webhooks.queue(
                .sessionReminder, session: session, partie: partie, webhook: webhook,
                reminder: try await roll(of: key.sessionId, partie: partie, offset: key.offsetMinutes, on: db),
                at: now, on: db)
            return true
        }
    }

    /// Who said yes, who said maybe, and which members other than the MJ have not answered, in
    /// the order they joined the partie. Answers of people who left are not counted.
    static func roll(of sessionID: UUID, partie: Partie, offset: Int, on db: any Database) async throws
        -> Webhooks.Reminder
    {
        let members = try await PartieMember.query(on: db).filter(\.$partie.$id == partie.requireID())
            .with(\.$user).sort(\.$joinedAt).all()
        let answers = Dictionary(
            try await SessionRSVP.query(on: db).filter(\.$session.$id == sessionID).all().map {
                ($0.$user.id, $0.answer)
            }, uniquingKeysWith: { first, _ in first })
        func refs(_ keep: (PartieMember) -> Bool) -> [MemberRef] {
            members.filter(keep).map {
                MemberRef(userId: $0.$user.id, username: $0.user.username, displayName: $0.user.displayName)
            }
        }
        return Webhooks.Reminder(
            offsetMinutes: offset,
            yes: refs { answers[$0.$user.id] == .yes },
            maybe: refs { answers[$0.$user.id] == .maybe },
            notAnswered: refs { $0.$user.id != partie.$mj.id && answers[$0.$user.id] == nil })
    }
}
