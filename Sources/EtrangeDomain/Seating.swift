import Foundation

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
    /// Until when a seat is held for them, when one was offered and the offer still runs.
    public var offeredUntil: Date?

    public init(userID: Int, online: Bool, offeredUntil: Date? = nil) {
        self.userID = userID
        self.online = online
        self.offeredUntil = offeredUntil
    }
}

/// What a full session's free seats become: seats taken at once, and seats held for someone.
public struct SeatAllocation: Sendable, Equatable {
    public var seated: [Int] = []
    public var offered: [Int] = []

    public init(seated: [Int] = [], offered: [Int] = []) {
        self.seated = seated
        self.offered = offered
    }
}

public enum WaitingList {
    /// How recently a waiter must have read the list to count as there: the session page reads
    /// it every 20 seconds, so three reads missed in a row.
    public static let onlineWindow: TimeInterval = 60

    /// How long a seat stays held for someone in line who was not on the page when it freed: a
    /// phone in a pocket is noticed within minutes, and the table does not wait longer.
    public static let offerWindow: TimeInterval = 5 * 60

    /// Who the free seats go to, strictly in the list's order: the first online takes a seat at
    /// once; the first not online is offered it for `offerWindow`, and the seat is held for them
    /// meanwhile. A seat already held by a running offer is not free. Offers that ran out are the
    /// caller's to drop before asking: an offer left unanswered is an offer declined.
    public static func allocate(_ queue: [Waiter], freeSeats: Int, at now: Date) -> SeatAllocation {
        let held = queue.filter { ($0.offeredUntil ?? .distantPast) > now }
        var seats = freeSeats - held.count
        var allocation = SeatAllocation()
        for waiter in queue where seats > 0 && (waiter.offeredUntil ?? .distantPast) <= now {
            if waiter.online {
                allocation.seated.append(waiter.userID)
            } else {
                allocation.offered.append(waiter.userID)
            }
            seats -= 1
        }
        return allocation
    }
}
