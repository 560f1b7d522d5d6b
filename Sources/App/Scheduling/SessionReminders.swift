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
        let sessions = try await Session.query(on: db)
            .filter(\.$status == .scheduled)
            .filter(\.$scheduledDate > now)
            .filter(\.$scheduledDate <= horizon)
            .all()
        guard !sessions.isEmpty else { return 0 }
        let parties = try await Partie.query(on: db).filter(\.$id ~~ Set(sessions.map { $0.$partie.id })).all()
        let partieByID = Dictionary(uniqueKeysWithValues: parties.compactMap { p in p.id.map { ($0, p) } })
        var due: [(session: Session, partie: Partie, start: Date, offset: Int)] = []
        for session in sessions {
            guard let partie = partieByID[session.$partie.id], let start = session.scheduledDate else { continue }
            for offset in ReminderOffsets.due(partie.reminderOffsetList, start: start, now: now) {
                due.append((session, partie, start, offset))
            }
        }
        guard !due.isEmpty else { return 0 }
        // Most turns find every due reminder already queued: read the keys rather than write
        // (and take SQLite's writer) once a second for each.
        let queued = try await db.sql.select().columns("session_id", "scheduled_date", "offset_minutes")
            .from(schema)
            .where("session_id", .in, due.map { try $0.session.requireID() })
            .all(decoding: Key.self)
        var count = 0
        for reminder in due {
            let id = try reminder.session.requireID()
            if queued.contains(where: {
                $0.sessionId == id && $0.offsetMinutes == reminder.offset
                    && abs($0.scheduledDate.timeIntervalSince(reminder.start)) < 0.001
            }) {
                continue
            }
            if try await queue(
                reminder.session, partie: reminder.partie, start: reminder.start, offset: reminder.offset,
                at: now, on: db)
            {
                count += 1
            }
        }
        return count
    }

    private struct Key: Decodable {
        let sessionId: UUID
        let scheduledDate: Date
        let offsetMinutes: Int

        enum CodingKeys: String, CodingKey {
            case sessionId = "session_id"
            case scheduledDate = "scheduled_date"
            case offsetMinutes = "offset_minutes"
        }
    }

    /// Whether this call queued the reminder (false when another pass had its key).
    private static func queue(
        _ session: Session, partie: Partie, start: Date, offset: Int, at now: Date, on db: any Database
    ) async throws -> Bool {
        let sessionID = try session.requireID()
        return try await db.transaction { db in
            let won =
                try await db.sql.insert(into: schema)
                .columns("id", "session_id", "scheduled_date", "offset_minutes", "created_at")
                .values(SQLBind(UUID()), SQLBind(sessionID), SQLBind(start), SQLBind(offset), SQLBind(now))
                .ignoringConflicts(with: ["session_id", "scheduled_date", "offset_minutes"])
                .returning("id")
                .first() != nil
            guard won else { return false }
            // Read again after the key: a move or a cancellation committed since the pass's read
            // must not be reminded at the old time (the key of the old date stays, unused).
            guard let current = try await Session.find(sessionID, on: db), current.status == .scheduled,
                current.scheduledDate.map({ abs($0.timeIntervalSince(start)) < 0.001 }) == true
            else { return false }
            guard
                let webhook = try await PartieWebhook.query(on: db).filter(\.$partie.$id == partie.requireID())
                    .first(),
                webhook.eventList.contains(.sessionReminder)
            else { return true }
            try await Webhooks.queue(
                .sessionReminder, session: current, partie: partie, webhook: webhook,
                reminder: try await roll(of: sessionID, partie: partie, offset: offset, on: db), at: now, on: db)
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
