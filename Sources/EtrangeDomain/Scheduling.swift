import Foundation

/// A member's answer to a session or to one slot of a date poll.
public enum Availability: String, Sendable, Codable, CaseIterable {
    case yes, maybe, no

    /// The answer in French, for messages people read.
    public var label: String {
        switch self {
        case .yes: "oui"
        case .maybe: "peut-être"
        case .no: "non"
        }
    }
}

/// When a member may still answer a session: until it starts, which is either the MJ starting it
/// or its scheduled time passing, whichever comes first.
public enum RSVPWindow {
    /// The longest comment, in characters (« en retard de 30 min »).
    public static let commentLength = 200

    /// Nil while an answer may still be given or changed, else why not.
    public static func refusal(status: SessionStatus, scheduledDate: Date?, now: Date) -> String? {
        guard status == .scheduled else {
            return "La session est « \(status.rawValue) » (\(status.label)) : les réponses sont closes."
        }
        if let scheduledDate, now >= scheduledDate {
            return "L'heure prévue de la session est passée : les réponses sont closes."
        }
        return nil
    }
}

/// The state of a date poll: open for answers until the MJ closes it on a slot or cancels it.
public enum PollStatus: String, Sendable, Codable, CaseIterable {
    case open, closed, cancelled

    public var label: String {
        switch self {
        case .open: "ouvert"
        case .closed: "clos"
        case .cancelled: "annulé"
        }
    }
}

/// The slots a date poll proposes.
public enum PollSlots {
    public static let count = 2...10

    /// Nil when `slots` may be proposed at `now`: between 2 and 10, all in the future, no two the
    /// same instant.
    public static func refusal(_ slots: [Date], now: Date) -> String? {
        guard count.contains(slots.count) else {
            return "proposez entre \(count.lowerBound) et \(count.upperBound) créneaux."
        }
        guard slots.allSatisfy({ $0 > now }) else { return "chaque créneau doit être dans le futur." }
        guard Set(slots).count == slots.count else { return "deux créneaux sont identiques." }
        return nil
    }
}
