/// The life of a session, exactly as the design document lists it.
public enum SessionStatus: String, Sendable, Codable, CaseIterable {
    case scheduled, active, paused, completed, cancelled

    /// Completed and cancelled sessions are history: nothing moves them again.
    public var isFinal: Bool { self == .completed || self == .cancelled }

    /// A session that is being played right now, paused or not; a partie has at most one.
    public var isRunning: Bool { self == .active || self == .paused }

    /// The state in French, beside its API name in messages people read.
    public var label: String {
        switch self {
        case .scheduled: "programmée"
        case .active: "en cours"
        case .paused: "en pause"
        case .completed: "terminée"
        case .cancelled: "annulée"
        }
    }

    /// The moves the MJ may make from this state, in the order a menu would show them.
    public var allowedActions: [SessionAction] {
        SessionAction.allCases.filter { $0.from.contains(self) }
    }
}

/// What the MJ does to a session.
public enum SessionAction: String, Sendable, Codable, CaseIterable {
    case start, pause, resume, end, cancel

    /// The states this move may be made from.
    public var from: Set<SessionStatus> {
        switch self {
        case .start: [.scheduled]
        case .pause: [.active]
        case .resume: [.paused]
        case .end: [.active, .paused]
        case .cancel: [.scheduled, .active, .paused]
        }
    }

    /// The state this move leads to.
    public var to: SessionStatus {
        switch self {
        case .start, .resume: .active
        case .pause: .paused
        case .end: .completed
        case .cancel: .cancelled
        }
    }
}

/// A move that the state machine refuses, with a reason a person can read.
public struct TransitionRefused: Error, Equatable, Sendable {
    public let current: SessionStatus
    public let action: SessionAction

    public var reason: String {
        let allowed = current.allowedActions.map(\.rawValue)
        let options =
            allowed.isEmpty
            ? "aucune action n'est possible, la session est terminée"
            : "actions possibles : \(allowed.joined(separator: ", "))"
        return
            "Impossible de faire « \(action.rawValue) » : la session est « \(current.rawValue) » (\(current.label) ; \(options))."
    }
}

extension SessionStatus {
    /// The state `action` leads to from here, or the refusal.
    public func applying(_ action: SessionAction) -> Result<SessionStatus, TransitionRefused> {
        action.from.contains(self) ? .success(action.to) : .failure(TransitionRefused(current: self, action: action))
    }
}
