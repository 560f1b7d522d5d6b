import EtrangeDomain
import Fluent
import SQLKit
import Vapor

/// Someone waiting for a seat in a full session, with the character they will play.
final class SessionWaiter: Model, @unchecked Sendable {
    static let schema = "session_waiters"

    /// Handed out in the order people came: the list's order, even when two share an instant.
    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Parent(key: "session_id") var session: Session
    @Parent(key: "user_id") var user: User
    @Parent(key: "character_id") var character: Character
    @Field(key: "joined_at") var joinedAt: Date
    /// Their last reading of the list (the session page polls it): online while recent.
    @Field(key: "last_seen") var lastSeen: Date
    /// A seat is held for them until then (`WaitingList.offerWindow`): they were away when it freed.
    @OptionalField(key: "offered_until") var offeredUntil: Date?

    init() {}
}

struct WaitlistRequest: Content {
    var characterId: UUID?
}

struct WaiterResponse: Content {
    let position: Int
    let userId: Int
    let username: String
    let displayName: String?
    let joinedAt: Date
    /// A seat is held for them until then: theirs if they take it (`POST …/waitlist/seat`).
    let offeredUntil: Date?
}

struct WaitlistResponse: Content {
    let entries: [WaiterResponse]
    /// The caller's place in the list, from 1; absent when they are not on it.
    let myPosition: Int?
}

/// What `waitlist.updated` tells everyone: the list's order, and the seats held for someone.
struct WaitlistEventData: Content {
    let userIds: [Int]
    let offers: [SeatOffer]
}

struct SeatOffer: Content {
    let userId: Int
    let until: Date
}

enum Waitlist {
    /// Gives the seats free now to the list, in its order (`WaitingList.allocate`): seated at once
    /// when online, else held for them a few minutes. Offers that ran out go first, with their
    /// waiters' places. Runs inside the transaction that freed the seats and under the session's
    /// lock (taken by the caller), so that two departures at once never seat one person twice nor
    /// more people than `max_players`. True when the list changed and was announced.
    @discardableResult
    static func fillFreeSeats(in session: Session, at now: Date, on db: any Database) async throws
        -> Bool
    {
        guard !session.status.isFinal else { return false }
        let sessionID = try session.requireID()
        let expired = try await db.sql.delete(from: SessionWaiter.schema)
            .where("session_id", .equal, sessionID).where("offered_until", .lessThanOrEqual, now)
            .returning("id").all()
        let free = session.maxPlayers - (try await Participation.seatedPlayers(in: sessionID, on: db))
        let waiters = try await SessionWaiter.query(on: db).filter(\.$session.$id == sessionID).sort(\.$id).all()
        // Someone who left the partie since keeps no claim on its seats.
        let members = Set(
            try await PartieMember.query(on: db)
                .filter(\.$partie.$id == session.$partie.id).filter(\.$user.$id ~~ waiters.map { $0.$user.id })
                .all(\.$user.$id))
        let queue = waiters.filter { members.contains($0.$user.id) }.map {
            Waiter(
                userID: $0.$user.id, online: $0.lastSeen >= now.addingTimeInterval(-WaitingList.onlineWindow),
                offeredUntil: $0.offeredUntil)
        }
        let allocation = WaitingList.allocate(queue, freeSeats: max(0, free), at: now)
        guard !allocation.seated.isEmpty || !allocation.offered.isEmpty || !expired.isEmpty else { return false }
        for userID in allocation.seated {
            guard let waiter = waiters.first(where: { $0.$user.id == userID }) else { continue }
            // Taking the seat takes them off the list (`Participation.seat`).
            _ = try await Participation.seat(
                userID: userID, role: .player, characterID: waiter.$character.id, in: sessionID,
                lateJoinExempt: true, at: now, on: db)
        }
        if !allocation.offered.isEmpty {
            try await SessionWaiter.query(on: db)
                .filter(\.$session.$id == sessionID).filter(\.$user.$id ~~ allocation.offered)
                .set(\.$offeredUntil, to: now.addingTimeInterval(WaitingList.offerWindow))
                .update()
        }
        try await announce(sessionID, at: now, on: db)
        return true
    }

    /// Seats held for others by running offers, which a join may not take.
    static func heldSeats(in sessionID: UUID, excluding userID: Int, at now: Date, on db: any Database) async throws
        -> Int
    {
        try await SessionWaiter.query(on: db)
            .filter(\.$session.$id == sessionID).filter(\.$user.$id != userID).filter(\.$offeredUntil > now)
            .count()
    }

    /// Drops the offers that ran out, each with its waiter's place, and passes their seats on.
    /// The presence sweeper calls it; tests call it with a pinned clock. Returns the sessions
    /// whose list changed, for the caller to announce.
    static func expireOffers(at now: Date, on db: any Database) async throws -> [UUID] {
        let sessions = try await SessionWaiter.query(on: db).filter(\.$offeredUntil <= now).unique()
            .all(\.$session.$id)
        var changed: [UUID] = []
        for sessionID in Set(sessions).sorted(by: { $0.uuidString < $1.uuidString }) {
            // Under the lock: an offer taken meanwhile is no longer there to expire.
            let expired = try await db.transaction { db -> Bool in
                guard let session = try await Participation.lockSession(sessionID, on: db) else { return false }
                return try await fillFreeSeats(in: session, at: now, on: db)
            }
            if expired { changed.append(sessionID) }
        }
        return changed
    }

    static func announce(_ sessionID: UUID, at now: Date, on db: any Database) async throws {
        let waiters = try await SessionWaiter.query(on: db).filter(\.$session.$id == sessionID).sort(\.$id).all()
        let offers = waiters.compactMap { waiter in
            waiter.offeredUntil.map { SeatOffer(userId: waiter.$user.id, until: $0) }
        }
        try await LiveEvents.record(
            .waitlistUpdated, in: sessionID,
            data: WaitlistEventData(userIds: waiters.map { $0.$user.id }, offers: offers), at: now, on: db)
    }

    static func response(_ sessionID: UUID, caller: Int, on db: any Database) async throws -> WaitlistResponse {
        let waiters = try await SessionWaiter.query(on: db).filter(\.$session.$id == sessionID).sort(\.$id)
            .with(\.$user).all()
        let entries = waiters.enumerated().map { index, waiter in
            WaiterResponse(
                position: index + 1, userId: waiter.$user.id, username: waiter.user.username,
                displayName: waiter.user.displayName, joinedAt: waiter.joinedAt, offeredUntil: waiter.offeredUntil)
        }
        return WaitlistResponse(entries: entries, myPosition: entries.first { $0.userId == caller }?.position)
    }
}

/// `/api/sessions/{id}/waitlist`: a full session's waiting list, seen by every member.
struct WaitlistController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let list = routes.grouped(TokenAuthMiddleware()).grouped("api", "sessions", ":id", "waitlist")
        list.get(use: show)
        list.post(use: enter)
        list.delete(use: leave)
        list.post("seat", use: takeOffer)
    }

    func show(req: Request) async throws -> WaitlistResponse {
        let caller = try req.caller
        let id = try req.uuidParameter()
        _ = try await Session.visible(id, to: caller, on: req.db)
        // A waiter reading the list is on the page: that keeps them online for the next seat.
        try await req.db.sql.update(SessionWaiter.schema).set("last_seen", to: req.now)
            .where("session_id", .equal, id).where("user_id", .equal, caller.userID).run()
        return try await Waitlist.response(id, caller: caller.userID, on: req.db)
    }

    func enter(req: Request) async throws -> Response {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let body = req.hasBody ? try req.json(WaitlistRequest.self) : WaitlistRequest()
        let visible = try await Session.visible(id, to: caller, on: req.db)
        guard !visible.partie.isMJ else {
            throw AppError.conflict("Le MJ a toujours sa place : la liste d'attente est pour les joueurs.")
        }
        guard let characterID = body.characterId else {
            throw AppError.invalid(field: "character_id", reason: "choisissez le personnage avec lequel vous jouerez.")
        }
        try await PresenceController.checkCharacter(
            characterID, ownedBy: caller.userID, partieID: visible.partie.id, field: "character_id", on: req.db)
        let now = req.now
        let added = try await req.db.transaction { db -> Bool in
            guard let session = try await Participation.lockSession(id, on: db) else {
                throw AppError.notFound("Session introuvable.")
            }
            let held = try await SessionParticipant.query(on: db)
                .filter(\.$session.$id == id).filter(\.$user.$id == caller.userID).first()
            if let held, held.isActive, held.role.takesASeat {
                throw AppError.conflict("Vous avez déjà une place dans cette session.")
            }
            let request = SeatRequest(
                status: session.status, allowLateJoin: session.allowLateJoin, maxPlayers: session.maxPlayers,
                seatedPlayers: try await Participation.seatedPlayers(in: id, excluding: caller.userID, on: db),
                heldASeat: held != nil, stillSeated: false, role: .player)
            switch request.refusal {
            case .full: break
            case nil: throw AppError.conflict("La session n'est pas complète : rejoignez-la directement.")
            case let refusal?: throw AppError.conflict(refusal.reason)
            }
            if let waiter = try await SessionWaiter.query(on: db)
                .filter(\.$session.$id == id).filter(\.$user.$id == caller.userID).first()
            {
                waiter.$character.id = characterID
                waiter.lastSeen = now
                try await waiter.save(on: db)
                return false
            }
            let waiter = SessionWaiter()
            waiter.$session.id = id
            waiter.$user.id = caller.userID
            waiter.$character.id = characterID
            waiter.joinedAt = now
            waiter.lastSeen = now
            try await waiter.create(on: db)
            try await Waitlist.announce(id, at: now, on: db)
            return true
        }
        if added { await req.announce(id) }
        return try await Waitlist.response(id, caller: caller.userID, on: req.db)
            .encodeResponse(status: added ? .created : .ok, for: req)
    }

    /// Takes the seat held for the caller, while the offer runs.
    func takeOffer(req: Request) async throws -> Response {
        let caller = try req.caller
        let id = try req.uuidParameter()
        _ = try await Session.visible(id, to: caller, on: req.db)
        let now = req.now
        let participant = try await req.db.transaction { db -> SessionParticipant in
            _ = try await Participation.lockSession(id, on: db)
            // One conditional delete decides: an offer that ran out, or taken from another tab,
            // is not there any more.
            let taken = try await db.sql.delete(from: SessionWaiter.schema)
                .where("session_id", .equal, id).where("user_id", .equal, caller.userID)
                .where("offered_until", .greaterThan, now)
                .returning("character_id").first()
            guard let taken else {
                throw AppError.conflict("Aucune place ne vous est réservée : l'offre a expiré ou a déjà été prise.")
            }
            let participant = try await Participation.seat(
                userID: caller.userID, role: .player,
                characterID: try taken.decode(column: "character_id", as: UUID.self),
                in: id, lateJoinExempt: true, at: now, on: db)
            try await Waitlist.announce(id, at: now, on: db)
            return participant
        }
        await req.announce(id)
        return try await PresenceController.responses(for: [participant], in: id, on: req.db, now: now)[0]
            .encodeResponse(status: .created, for: req)
    }

    /// Leaves the list; harmless when not on it. A seat held for the caller goes to the next in line.
    func leave(req: Request) async throws -> HTTPStatus {
        let caller = try req.caller
        let id = try req.uuidParameter()
        _ = try await Session.visible(id, to: caller, on: req.db)
        let now = req.now
        let removed = try await req.db.transaction { db -> Bool in
            let session = try await Participation.lockSession(id, on: db)
            let rows = try await db.sql.delete(from: SessionWaiter.schema)
                .where("session_id", .equal, id).where("user_id", .equal, caller.userID)
                .returning("offered_until").all()
            guard let row = rows.first else { return false }
            try await Waitlist.announce(id, at: now, on: db)
            if let session, try row.decode(column: "offered_until", as: Date?.self) != nil {
                try await Waitlist.fillFreeSeats(in: session, at: now, on: db)
            }
            return true
        }
        if removed { await req.announce(id) }
        return .noContent
    }
}
