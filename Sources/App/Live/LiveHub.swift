import EtrangeDomain
import Fluent
import FluentPostgresDriver
import NIOConcurrencyHelpers
import NIOWebSocket
import SQLKit
import Vapor

/// Fans the events of each session out to this instance's live connections. Events are read
/// from the journal, never passed around in memory, so every instance delivers the same
/// sequence, with no gap and no duplicate, whatever instance produced them.
actor LiveHub {
    private struct Channel {
        var subscribers: [UUID: Subscription] = [:]
        var lastFetched = 0
        var fetching = false
        var again = false
    }

    private struct Subscription {
        let subscriber: LiveSubscriber
        var lastSeq: Int
        var live: Bool
        var missedWhileCatchingUp = false
    }

    private var channels: [UUID: Channel] = [:]
    /// Each person's connections on this instance, oldest first, for the caps of `admit`.
    private var byUser: [Int: [LiveSubscriber]] = [:]
    private let socketsPerSession: Int
    private let socketsPerUser: Int
    nonisolated let touches = PresenceTouches()
    nonisolated let departures = PresenceDepartures()
    /// Signs this instance's notifications, so that its listener skips them: `publish` has
    /// already read those events, and a second read per event is the busiest query of a fan-out.
    nonisolated let instanceID = UUID()
    private var stopped = false
    private var inFlight = 0
    private var drained: [CheckedContinuation<Void, Never>] = []
    private let database: @Sendable () -> any Database
    /// Where the journal is read: on SQLite a reading connection, so that every delivery's read
    /// leaves the single writer to the writes (a chat line's transaction waited behind them).
    private let journal: @Sendable () -> any Database
    private let logger: Logger
    /// Told how many events each fetch brought, for the metrics.
    private let published: @Sendable (Int) -> Void
    static let batchSize = 500

    init(
        database: @escaping @Sendable () -> any Database, journal: @escaping @Sendable () -> any Database,
        logger: Logger, socketsPerSession: Int, socketsPerUser: Int,
        published: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.socketsPerSession = socketsPerSession
        self.socketsPerUser = socketsPerUser
        self.database = database
        self.journal = journal
        self.logger = logger
        self.published = published
    }

    var connectionCount: Int { channels.values.reduce(0) { $0 + $1.subscribers.count } }

    /// Connections of `userID` to `sessionID` on this instance.
    func connections(of userID: Int, in sessionID: UUID) -> Int {
        channels[sessionID]?.subscribers.values.filter { $0.subscriber.userID == userID }.count ?? 0
    }

    /// Runs database work for a connection unless the application is shutting down, and lets
    /// shutdown wait for it, so that no socket callback reaches a database already closed.
    nonisolated func guarded(_ work: @Sendable () async -> Void) async {
        guard await enter() else { return }
        await work()
        await leave()
    }

    private func enter() -> Bool {
        guard !stopped else { return false }
        inFlight += 1
        return true
    }

    private func leave() {
        inFlight -= 1
        if inFlight == 0 {
            for continuation in drained { continuation.resume() }
            drained = []
        }
    }

    /// Closes every connection and waits for the work in progress.
    func shutdown() async {
        stopped = true
        for channel in channels.values {
            for subscription in channel.subscribers.values {
                subscription.subscriber.close(
                    code: .goingAway, reason: "arrêt",
                    message: LiveMessages.closing("Le serveur redémarre : reconnectez-vous avec since."))
            }
        }
        channels = [:]
        byUser = [:]
        if inFlight > 0 {
            await withCheckedContinuation { drained.append($0) }
        }
    }

    /// Adds a connection. With `since`, it first receives every event after that number, then the
    /// live stream; without, only what happens from now on.
    func subscribe(_ subscriber: LiveSubscriber, since: Int?) async {
        // Counted as work in progress: the shutdown that comes while this reads the journal
        // waits for it, rather than closing the database under its connection.
        guard enter() else { return }
        defer { leave() }
        let sessionID = subscriber.sessionID
        if channels[sessionID] == nil {
            var channel = Channel()
            channel.lastFetched = (try? await lastSeq(of: sessionID)) ?? 0
            if channels[sessionID] == nil { channels[sessionID] = channel }
        }
        // Closed while this was waiting for the database: its `unsubscribe` may have run already.
        guard !subscriber.socket.isClosed else {
            if channels[sessionID]?.subscribers.isEmpty == true { channels[sessionID] = nil }
            return
        }
        admit(subscriber)
        let current = channels[sessionID]!.lastFetched
        guard let since else {
            channels[sessionID]!.subscribers[subscriber.id] = Subscription(
                subscriber: subscriber, lastSeq: current, live: true)
            return
        }
        channels[sessionID]!.subscribers[subscriber.id] = Subscription(
            subscriber: subscriber, lastSeq: max(0, since), live: false)
        if let oldest = try? await oldestSeq(of: sessionID), since < oldest - 1 {
            subscriber.sendControl(LiveMessages.resync(oldest: oldest))
            channels[sessionID]?.subscribers[subscriber.id]?.lastSeq = oldest - 1
        }
        while true {
            guard var subscription = channels[sessionID]?.subscribers[subscriber.id] else { return }
            subscription.missedWhileCatchingUp = false
            channels[sessionID]?.subscribers[subscriber.id] = subscription
            let events: [EncodedEvent]
            do {
                events = try await fetch(sessionID, after: subscription.lastSeq)
            } catch {
                logger.warning("live catch-up failed: \(String(reflecting: error))")
                subscriber.close(
                    code: .unexpectedServerError, reason: "erreur",
                    message: LiveMessages.closing("Erreur du serveur : reconnectez-vous."))
                return
            }
            guard var current = channels[sessionID]?.subscribers[subscriber.id] else { return }
            var deliveries = Deliveries()
            for event in events where event.seq > current.lastSeq {
                if subscriber.sees(event) { deliveries.add(event, to: subscriber) }
                current.lastSeq = event.seq
            }
            deliveries.send()
            if events.isEmpty && !current.missedWhileCatchingUp {
                current.live = true
                channels[sessionID]?.subscribers[subscriber.id] = current
                return
            }
            channels[sessionID]?.subscribers[subscriber.id] = current
        }
    }

    func unsubscribe(_ subscriber: LiveSubscriber) {
        channels[subscriber.sessionID]?.subscribers[subscriber.id] = nil
        if channels[subscriber.sessionID]?.subscribers.isEmpty == true {
            channels[subscriber.sessionID] = nil
        }
        byUser[subscriber.userID]?.removeAll { $0.id == subscriber.id }
        if byUser[subscriber.userID]?.isEmpty == true {
            byUser[subscriber.userID] = nil
        }
    }

    /// Counts a new connection against its person's caps, closing their oldest ones beyond.
    /// The newest wins rather than being refused: someone who reloads a page, or whose phone
    /// changed networks, opens a new socket while the old one is not yet known to be dead, and
    /// must not be locked out until it times out. Whoever opens many only keeps the last few.
    private func admit(_ subscriber: LiveSubscriber) {
        var mine = (byUser[subscriber.userID] ?? []).filter { !$0.isClosing }
        mine.append(subscriber)
        let inSession = mine.filter { $0.sessionID == subscriber.sessionID }
        var replaced = Set(inSession.prefix(max(0, inSession.count - socketsPerSession)).map(\.id))
        let kept = mine.filter { !replaced.contains($0.id) }
        replaced.formUnion(kept.prefix(max(0, kept.count - socketsPerUser)).map(\.id))
        for old in mine where replaced.contains(old.id) {
            old.close(code: .policyViolation, reason: "remplacée", message: LiveMessages.replaced)
        }
        byUser[subscriber.userID] = mine.filter { !replaced.contains($0.id) }
    }

    /// `sessionID` was deleted, here or on another instance: its connections are told and closed.
    func sessionDeleted(_ sessionID: UUID) {
        guard let channel = channels.removeValue(forKey: sessionID) else { return }
        for subscription in channel.subscribers.values {
            subscription.subscriber.close(
                code: .normalClosure, reason: "supprimée", message: LiveMessages.deleted(sessionID))
        }
    }

    /// Announces a deletion once it has committed: to this instance's connections, and on
    /// PostgreSQL to the other instances (`d:<session>`). The journal cannot carry it: it was
    /// deleted with the session.
    nonisolated func announceDeletion(of sessionID: UUID) async {
        let db = database()
        do {
            try await LiveEvents.notify("d:\(sessionID.uuidString)", on: db)
        } catch {
            logger.warning("live deletion notice not sent: \(String(reflecting: error))")
        }
        await sessionDeleted(sessionID)
    }

    /// New events may be in the journal of `sessionID`: read them once and hand them out.
    func poke(_ sessionID: UUID) async {
        guard channels[sessionID] != nil, enter() else { return }
        defer { leave() }
        if channels[sessionID]!.fetching {
            channels[sessionID]!.again = true
            return
        }
        channels[sessionID]!.fetching = true
        repeat {
            channels[sessionID]?.again = false
            guard let after = channels[sessionID]?.lastFetched else { return }
            let events: [EncodedEvent]
            do {
                events = try await fetch(sessionID, after: after)
            } catch {
                logger.warning("live fetch failed: \(String(reflecting: error))")
                channels[sessionID]?.fetching = false
                return
            }
            if !events.isEmpty { published(events.count) }
            guard var channel = channels[sessionID] else { return }
            if let last = events.last { channel.lastFetched = max(channel.lastFetched, last.seq) }
            if events.count == Self.batchSize { channel.again = true }
            var deliveries = Deliveries()
            for (id, var subscription) in channel.subscribers {
                guard subscription.live else {
                    subscription.missedWhileCatchingUp = true
                    channel.subscribers[id] = subscription
                    continue
                }
                for event in events where event.seq > subscription.lastSeq {
                    if subscription.subscriber.sees(event) { deliveries.add(event, to: subscription.subscriber) }
                    subscription.lastSeq = event.seq
                }
                channel.subscribers[id] = subscription.subscriber.isClosing ? nil : subscription
            }
            channels[sessionID] = channel
            deliveries.send()
            for event in events {
                if let leaverID = event.leaverID { closeParticipant(leaverID, in: sessionID) }
                for userID in event.reconnecting {
                    closeSockets(
                        of: userID, in: sessionID, reason: "mj",
                        "Le MJ de la partie a changé : reconnectez-vous pour suivre la session.")
                }
            }
            // A finished session has nothing more to say: its connections close once told so.
            if events.contains(where: { $0.status?.isFinal == true }) {
                for subscription in channels[sessionID]?.subscribers.values ?? [:].values {
                    subscription.subscriber.close(
                        code: .normalClosure, reason: "fin", message: LiveMessages.closing("La session est terminée."))
                }
                channels[sessionID] = nil
                continue
            }
            if events.contains(where: { $0.status == .active }) {
                for subscription in channels[sessionID]?.subscribers.values ?? [:].values {
                    subscription.subscriber.onSessionRunning()
                }
            }
        } while channels[sessionID]?.again == true
        channels[sessionID]?.fetching = false
    }

    /// Someone who gave their seat up is no longer a participant: their connections close.
    private func closeParticipant(_ userID: Int, in sessionID: UUID) {
        closeSockets(of: userID, in: sessionID, reason: "parti", "Vous avez quitté la session.")
    }

    private func closeSockets(of userID: Int, in sessionID: UUID, reason: String, _ message: String) {
        for subscription in channels[sessionID]?.subscribers.values ?? [:].values
        where subscription.subscriber.userID == userID {
            subscription.subscriber.close(code: .normalClosure, reason: reason, message: LiveMessages.closing(message))
        }
    }

    /// `userID` is no longer a member of `partieID`, here or on another instance: their
    /// connections to its sessions close.
    func memberRemoved(_ userID: Int, from partieID: Int) async {
        let followed = channels.compactMap { sessionID, channel in
            channel.subscribers.values.contains { $0.subscriber.userID == userID } ? sessionID : nil
        }
        guard !followed.isEmpty else { return }
        let sessions: [UUID]
        do {
            sessions = try await Session.query(on: database())
                .filter(\.$partie.$id == partieID).filter(\.$id ~~ followed).all(\.$id)
        } catch {
            logger.warning("live removal not applied: \(String(reflecting: error))")
            return
        }
        for sessionID in sessions {
            for subscription in channels[sessionID]?.subscribers.values ?? [:].values
            where subscription.subscriber.userID == userID {
                subscription.subscriber.close(
                    code: .normalClosure, reason: "retiré",
                    message: LiveMessages.closing("Vous ne faites plus partie de cette partie."))
            }
        }
    }

    /// Closes `userID`'s connections to the sessions of `partieID` once their removal has
    /// committed: here, and on PostgreSQL on the other instances (`m:<partie>/<user>`). The
    /// `participant.left` events close those of a seat; this also closes one opened while the
    /// removal was under way.
    nonisolated func announceRemoval(of userID: Int, from partieID: Int) async {
        let db = database()
        do {
            try await LiveEvents.notify("m:\(partieID)/\(userID)", on: db)
        } catch {
            logger.warning("live removal notice not sent: \(String(reflecting: error))")
        }
        await memberRemoved(userID, from: partieID)
    }

    /// A token was revoked (logout): the connections it opened close.
    func revoke(tokenID: UUID) {
        for channel in channels.values {
            for subscription in channel.subscribers.values where subscription.subscriber.tokenID == tokenID {
                subscription.subscriber.close(
                    code: .policyViolation, reason: "déconnecté",
                    message: LiveMessages.closing("Session de connexion terminée : reconnectez-vous."))
            }
        }
    }

    /// New events of `sessionID` have committed here: this instance's sockets get them, and on
    /// PostgreSQL the other instances are told. The notification is its own transaction, with
    /// `synchronous_commit` off so that it does not wait for a WAL flush while it holds the lock
    /// PostgreSQL takes to notify: one lost to a crash delays nothing that matters, since the
    /// events are in the journal and a listener that reconnects reads every followed session.
    /// The payload is `e:<session>/<instance>`.
    nonisolated func publish(_ sessionID: UUID) async {
        let db = database()
        if db is any PostgresDatabase {
            do {
                _ = try await db.all(PublishStatement("e:\(sessionID.uuidString)/\(instanceID.uuidString)"))
            } catch {
                logger.warning("live notification not sent: \(String(reflecting: error))")
            }
        }
        await poke(sessionID)
    }

    /// For a PostgreSQL listener that reconnected and may have missed notifications: every
    /// session followed here reads its journal again, and those deleted meanwhile, which left no
    /// journal to read, are closed.
    func pokeAll() async {
        let followed = Array(channels.keys)
        if let existing = try? await Session.query(on: database()).filter(\.$id ~~ followed).all(\.$id) {
            for sessionID in Set(followed).subtracting(existing) { sessionDeleted(sessionID) }
        }
        for sessionID in channels.keys { await poke(sessionID) }
    }

    private func fetch(_ sessionID: UUID, after seq: Int) async throws -> [EncodedEvent] {
        let db = journal()
        var events = try await db.all(JournalStatement(sessionID, after: seq, limit: Self.batchSize))
            .map(EncodedEvent.init(row:))
        try await EventAudience.fill(&events, of: sessionID, on: db)
        return events
    }

    private func lastSeq(of sessionID: UUID) async throws -> Int {
        try await SessionEvent.query(on: journal()).filter(\.$session.$id == sessionID).max(\.$seq) ?? 0
    }

    private func oldestSeq(of sessionID: UUID) async throws -> Int? {
        try await SessionEvent.query(on: journal()).filter(\.$session.$id == sessionID).min(\.$seq)
    }
}

/// The frames of one fetch (or of a catch-up's batch), written to each socket on its own event
/// loop: one task per loop, where each frame written from the hub would be a task of its own, and
/// often a wake-up of its loop.
/// Each is taken (`LiveSubscriber.take`) as it is added, so what the hub does next (closing the
/// sockets of a session that ended) comes after it. A socket's frames keep their order: a loop
/// runs its tasks in the order they came, and the hub queues its closings and control messages
/// there too (`LiveSubscriber.close`), even from the socket's own loop.
private struct Deliveries {
    private var byLoop: [ObjectIdentifier: (loop: any EventLoop, frames: [(LiveSubscriber, EncodedEvent)])] = [:]

    mutating func add(_ event: EncodedEvent, to subscriber: LiveSubscriber) {
        guard subscriber.take(event) else { return }
        let loop = subscriber.socket.eventLoop
        byLoop[ObjectIdentifier(loop), default: (loop, [])].frames.append((subscriber, event))
    }

    func send() {
        for (loop, frames) in byLoop.values {
            loop.execute {
                for (subscriber, event) in frames { subscriber.write(event) }
            }
        }
    }
}

extension Application {
    /// This instance's hub, made once at configuration.
    var live: LiveHub { installed() }

    func installLiveHub() {
        let metrics = metrics
        let hub = LiveHub(
            database: { [unowned self] in self.db }, journal: { [unowned self] in self.readDB }, logger: logger,
            socketsPerSession: config.liveSocketsPerSession, socketsPerUser: config.liveSocketsPerUser,
            published: { metrics.livePublished($0) })
        install(hub)
    }
}

extension Request {
    /// Tells this instance's hub that `sessionID` has new events, once their transaction has
    /// committed. On PostgreSQL the other instances hear it through NOTIFY.
    func announce(_ sessionID: UUID) async {
        await application.live.publish(sessionID)
    }
}

/// `LiveHub.fetch`: a session's events after a number, read once per event and instance.
struct JournalStatement: HotStatement {
    static let sql = """
        SELECT seq, type, at, data, visibility, recipient_id FROM \(SessionEvent.schema)
        WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT CAST($3 AS BIGINT)
        """
    let binds: [HotBind]

    init(_ sessionID: UUID, after seq: Int, limit: Int) {
        binds = [.uuid(sessionID), .int(seq), .int(limit)]
    }
}
