/// Who may take part in a session, as the design document and the join rules state it.
public enum SeatRole: String, Sendable, Codable, CaseIterable {
    case master, player, observer

    /// Only players fill the seats `max_players` bounds; the MJ and observers sit apart.
    public static let seatTaking: [SeatRole] = [.player]

    public var takesASeat: Bool { Self.seatTaking.contains(self) }

    /// Observers watch the table and draw nothing.
    public var drawsCards: Bool { self != .observer }
}

public struct SeatRequest: Sendable, Equatable {
    public var status: SessionStatus
    public var allowLateJoin: Bool
    public var maxPlayers: Int
    /// Players seated now, not counting the one asking.
    public var seatedPlayers: Int
    /// Whether the one asking already holds a place (seated before, or left and coming back).
    public var heldASeat: Bool
    /// Whether that place is still active.
    public var stillSeated: Bool
    public var role: SeatRole

    public init(
        status: SessionStatus, allowLateJoin: Bool, maxPlayers: Int, seatedPlayers: Int,
        heldASeat: Bool, stillSeated: Bool, role: SeatRole
    ) {
        self.status = status
        self.allowLateJoin = allowLateJoin
        self.maxPlayers = maxPlayers
        self.seatedPlayers = seatedPlayers
        self.heldASeat = heldASeat
        self.stillSeated = stillSeated
        self.role = role
    }
}

public enum SeatRefusal: Error, Equatable, Sendable {
    case finished(SessionStatus)
    case lateJoinClosed
    case full(maxPlayers: Int)

    public var reason: String {
        switch self {
        case .finished(let status):
            "La session est « \(status.rawValue) » (\(status.label)) : on ne peut plus la rejoindre."
        case .lateJoinClosed:
            "La session a commencé et n'accepte pas les arrivées tardives : seuls ceux qui avaient une place peuvent la rejoindre."
        case .full(let maxPlayers):
            "La session est complète (\(maxPlayers) joueur\(maxPlayers > 1 ? "s" : "") au maximum)."
        }
    }
}

extension SeatRequest {
    /// Why the seat may not be taken, or nil when it may. The database enforces the same bound
    /// atomically; this says why, and lets a screen know in advance.
    public var refusal: SeatRefusal? {
        if status.isFinal { return .finished(status) }
        if role == .master { return nil }
        // An observer takes no seat, so arriving late takes nothing from those who had one.
        if status.isRunning, !allowLateJoin, !heldASeat, role.takesASeat { return .lateJoinClosed }
        if role.takesASeat, !stillSeated, seatedPlayers >= maxPlayers { return .full(maxPlayers: maxPlayers) }
        return nil
    }
}

/// Someone on a full session's waiting list, in the list's order.
public struct Waiter: Sendable, Equatable {
    public var userID: Int
    /// Seen on the session's page lately: able to take a seat at once.
    public var online: Bool

    public init(userID: Int, online: Bool) {
        self.userID = userID
        self.online = online
    }
}

public enum WaitingList {
    /// Who takes the seats just freed: the first of the list who are online, in its order. Someone
    /// not online is passed over this time and keeps their place for the next seat.
    public static func seated(from queue: [Waiter], freeSeats: Int) -> [Int] {
        Array(queue.filter(\.online).prefix(max(0, freeSeats)).map(\.userID))
    }
}
