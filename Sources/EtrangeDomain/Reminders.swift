import Foundation

/// When a scheduled session's reminders go out: at offsets before its start that the MJ chooses
/// per partie.
public enum ReminderOffsets {
    /// 24 h and 1 h before: the evening before to say who comes, the hour before to get ready.
    public static let defaults = [1440, 60]
    public static let maxCount = 3
    /// From 5 minutes to 14 days before, in minutes.
    public static let range = 5...20160

    /// How late a reminder may still go out. A server down for a few minutes (a deploy, a
    /// restart) still sends the reminders it missed, while a reminder whose time passed long ago
    /// is dropped: the session was scheduled or moved inside the window (its `session.scheduled`
    /// or `session.rescheduled` announcement already told the table), or the offsets were just
    /// changed, and a burst of stale « dans 24 h » would mislead.
    public static let grace: TimeInterval = 15 * 60

    /// Nil when `offsets` may be set, else why not (French, for the `reminder_offsets_minutes` field).
    public static func refusal(_ offsets: [Int]) -> String? {
        guard offsets.count <= maxCount else { return "au plus \(maxCount) rappels." }
        guard offsets.allSatisfy(range.contains) else {
            return "chaque délai est entre \(range.lowerBound) et \(range.upperBound) minutes."
        }
        guard Set(offsets).count == offsets.count else { return "deux délais sont identiques." }
        return nil
    }

    /// The offsets whose reminder is due at `now` for a session starting at `start`: its time has
    /// come, less than `grace` ago, and the session has not begun.
    public static func due(_ offsets: [Int], start: Date, now: Date) -> [Int] {
        guard now < start else { return [] }
        return offsets.filter { offset in
            let at = start.addingTimeInterval(-TimeInterval(offset * 60))
            return at <= now && at > now.addingTimeInterval(-grace)
        }
    }

    /// How a partie stores them: comma-separated, the longest first, empty for none.
    public static func stored(_ offsets: [Int]) -> String {
        offsets.sorted(by: >).map(String.init).joined(separator: ",")
    }

    public static func read(stored: String) -> [Int] {
        stored.split(separator: ",").compactMap { Int($0) }
    }
}
