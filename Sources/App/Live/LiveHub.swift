import EtrangeDomain
import Fluent
import FluentPostgresDriver
import NIOConcurrencyHelpers
import NIOWebSocket
import SQLKit
import Vapor

/// One live connection: a WebSocket and what the hub needs to know to serve it.
final class LiveSubscriber: Sendable {
    let id = UUID()
    let socket: WebSocket
    /// The socket's connection, cut when the peer leaves a close unanswered.
    let channel: any Channel
    let sessionID: UUID
    let userID: Int
    let tokenID: UUID
    /// The MJ sees the events meant for the MJ only.
    let isMJ: Bool
    let maxPending: Int
    /// Called when the session this connection follows starts or resumes: the connection then
    /// counts as presence, as if it had just opened.
    let onSessionRunning: @Sendable () -> Void
    /// Frames handed to the socket and not yet written: the queue a slow reader builds up.
    private let pending = NIOLockedValueBox(0)
    private let closing = NIOLockedValueBox(false)

    /// How long a closed connection's peer has to answer the closing handshake. A stalled reader
    /// or a client that ignores it would otherwise hold its connection until the ping times out.
    static let closeGrace: TimeAmount = .seconds(5)

    init(socket: WebSocket, channel: any Channel, sessionID: UUID, userID: Int, tokenID: UUID, isMJ: Bool, maxPending: Int,
         onSessionRunning: @escaping @Sendable () -> Void = {}) {
        self.onSessionRunning = onSessionRunning
        self.socket = socket
        self.channel = channel
        self.sessionID = sessionID
        self.userID = userID
        self.tokenID = tokenID
        self.isMJ = isMJ
        self.maxPending = maxPending
    }

    func sees(_ event: EncodedEvent) -> Bool {
        event.visibility == .all || isMJ || event.recipientID == userID
    }

    /// Hands a frame to the socket without waiting for it to be written, so a stalled reader
    /// never holds up the others; one that falls `maxPending` frames behind is closed with a
    /// reason it can act on.
    func send(_ event: EncodedEvent) {
        guard !closing.withLockedValue({ $0 }) else { return }
        let backlog = pending.withLockedValue { value -> Int in value += 1; return value }
        guard backlog <= maxPending else {
            close(code: .policyViolation, reason: "retard", message: LiveMessages.lagging(lastDelivered: event.seq - 1))
            return
        }
        let promise = socket.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { [pending] _ in pending.withLockedValue { $0 -= 1 } }
        socket.send(event.text, promise: promise)
    }

    /// Closed or being closed: the hub stops serving it at once, without waiting for a stalled
    /// peer to finish the closing handshake.
    var isClosing: Bool { closing.withLockedValue { $0 } }

    func sendControl(_ text: String) {
        socket.send(text, promise: nil)
    }

    func close(code: WebSocketErrorCode, reason: String, message: String? = nil) {
        let first = closing.withLockedValue { value -> Bool in defer { value = true }; return !value }
        guard first else { return }
        if let message { socket.send(message, promise: nil) }
        socket.close(code: code, promise: nil)
        let channel = channel
        channel.eventLoop.scheduleTask(in: Self.closeGrace) { channel.close(promise: nil) }
    }
}

/// An event as it leaves the server: its JSON encoded once, shared by every socket.
struct EncodedEvent: Sendable {
    let seq: Int
    let type: String
    let visibility: EventVisibility
    let recipientID: Int?
    let text: String
    /// What the hub acts on, read from the data of the few events it acts on: a `session.status`
    /// event's status, a `participant.left` event's person.
    let status: SessionStatus?
    let leaverID: Int?

    private struct StatusData: Decodable { let status: SessionStatus }
    private struct PersonData: Decodable { let userId: Int }

    /// A row of the journal, read without a Fluent model: the hub reads one per event and instance.
    init(row: any SQLRow) throws {
        seq = try row.decode(column: "seq", as: Int.self)
        type = try row.decode(column: "type", as: String.self)
        visibility = EventVisibility(rawValue: try row.decode(column: "visibility", as: String.self)) ?? .mj
        recipientID = try row.decode(column: "recipient_id", as: Int?.self)
        let at = try row.decode(column: "at", as: Date.self)
        let data = try row.decode(column: "data", as: String.self)
        text = #"{"at":"\#(JSONCoding.format(at))","data":\#(data),"seq":\#(seq),"type":"\#(type)"}"#
        switch LiveEventType(rawValue: type) {
        case .sessionStatus:
            // Unreadable, it changes nothing: a throw here would stall the session's delivery.
            status = try? JSONCoding.decoder.decode(StatusData.self, from: Data(data.utf8)).status
            leaverID = nil
        case .participantLeft:
            status = nil
            leaverID = try? JSONCoding.decoder.decode(PersonData.self, from: Data(data.utf8)).userId
        default:
            status = nil
            leaverID = nil
        }
    }
}

/// Control messages of the channel, outside the numbered events.
enum LiveMessages {
    static func lagging(lastDelivered: Int) -> String {
        #"{"type":"stream.lagging","data":{"reason":"Connexion trop lente : reconnectez-vous avec since=\#(lastDelivered).","since":\#(lastDelivered)}}"#
    }

    static func resync(oldest: Int) -> String {
        #"{"type":"stream.resync","data":{"reason":"Des événements trop anciens ne sont plus gardés : rechargez la session.","oldest_seq":\#(oldest)}}"#
    }

    static func closing(_ reason: String) -> String {
        #"{"type":"stream.closed","data":{"reason":"\#(reason)"}}"#
    }

    /// The connection gave way to a newer one of the same person (`LiveHub.admit`): a client
    /// should not reconnect on its own, or its devices would keep closing one another.
    static let replaced = #"{"type":"stream.replaced","data":{"reason":"Trop de connexions ouvertes au direct : celle-ci, la plus ancienne, est fermée."}}"#

    /// The session no longer exists: its journal went with it, so this is no numbered event.
    static func deleted(_ sessionID: UUID) -> String {
        #"{"type":"session.deleted","data":{"reason":"La session a été supprimée.","session_id":"\#(sessionID.uuidString)"}}"#
    }
}

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

    init(database: @escaping @Sendable () -> any Database, journal: @escaping @Sendable () -> any Database,
         logger: Logger, socketsPerSession: Int, socketsPerUser: Int, published: @escaping @Sendable (Int) -> Void = { _ in }) {
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
            drained.forEach { $0.resume() }
            drained = []
        }
    }

    /// Closes every connection and waits for the work in progress.
    func shutdown() async {
        stopped = true
        for channel in channels.values {
            for subscription in channel.subscribers.values {
                subscription.subscriber.close(code: .goingAway, reason: "arrêt", message: LiveMessages.closing("Le serveur redémarre : reconnectez-vous avec since."))
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
        guard !stopped else { return }
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
            channels[sessionID]!.subscribers[subscriber.id] = Subscription(subscriber: subscriber, lastSeq: current, live: true)
            return
        }
        channels[sessionID]!.subscribers[subscriber.id] = Subscription(subscriber: subscriber, lastSeq: max(0, since), live: false)
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
                subscriber.close(code: .unexpectedServerError, reason: "erreur", message: LiveMessages.closing("Erreur du serveur : reconnectez-vous."))
                return
            }
            guard var current = channels[sessionID]?.subscribers[subscriber.id] else { return }
            for event in events where event.seq > current.lastSeq {
                if subscriber.sees(event) { subscriber.send(event) }
                current.lastSeq = event.seq
            }
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
            subscription.subscriber.close(code: .normalClosure, reason: "supprimée", message: LiveMessages.deleted(sessionID))
        }
    }

    /// Announces a deletion once it has committed: to this instance's connections, and on
    /// PostgreSQL to the other instances (`d:<session>`). The journal cannot carry it: it was
    /// deleted with the session.
    nonisolated func announceDeletion(of sessionID: UUID) async {
        let db = database()
        if db is any PostgresDatabase {
            do {
                try await (db as! any SQLDatabase).raw("""
                    SELECT pg_notify(\(bind: LiveEvents.channel), \(bind: "d:\(sessionID.uuidString)"))
                    """).run()
            } catch {
                logger.warning("live deletion notice not sent: \(String(reflecting: error))")
            }
        }
        await sessionDeleted(sessionID)
    }

    /// New events may be in the journal of `sessionID`: read them once and hand them out.
    func poke(_ sessionID: UUID) async {
        guard !stopped, channels[sessionID] != nil else { return }
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
            for (id, var subscription) in channel.subscribers {
                guard subscription.live else {
                    subscription.missedWhileCatchingUp = true
                    channel.subscribers[id] = subscription
                    continue
                }
                for event in events where event.seq > subscription.lastSeq {
                    if subscription.subscriber.sees(event) { subscription.subscriber.send(event) }
                    subscription.lastSeq = event.seq
                }
                channel.subscribers[id] = subscription.subscriber.isClosing ? nil : subscription
            }
            channels[sessionID] = channel
            for event in events {
                if let leaverID = event.leaverID { closeParticipant(leaverID, in: sessionID) }
            }
            // A finished session has nothing more to say: its connections close once told so.
            if events.contains(where: { $0.status?.isFinal == true }) {
                for subscription in channels[sessionID]?.subscribers.values ?? [:].values {
                    subscription.subscriber.close(code: .normalClosure, reason: "fin", message: LiveMessages.closing("La session est terminée."))
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
        for subscription in channels[sessionID]?.subscribers.values ?? [:].values where subscription.subscriber.userID == userID {
            subscription.subscriber.close(code: .normalClosure, reason: "parti", message: LiveMessages.closing("Vous avez quitté la session."))
        }
    }

    /// A token was revoked (logout): the connections it opened close.
    func revoke(tokenID: UUID) {
        for channel in channels.values {
            for subscription in channel.subscribers.values where subscription.subscriber.tokenID == tokenID {
                subscription.subscriber.close(code: .policyViolation, reason: "déconnecté", message: LiveMessages.closing("Session de connexion terminée : reconnectez-vous."))
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
                try await (db as! any SQLDatabase).raw("""
                    SELECT set_config('synchronous_commit', 'off', true),
                           pg_notify(\(bind: LiveEvents.channel), \(bind: "e:\(sessionID.uuidString)/\(instanceID.uuidString)"))
                    """).run()
            } catch {
                logger.warning("live notification not sent: \(String(reflecting: error))")
            }
        }
        await poke(sessionID)
    }

    /// Every session with connections here, for a PostgreSQL listener that reconnected and may
    /// have missed notifications.
    func pokeAll() async {
        // A deletion announced meanwhile left nothing in the journal to read: look for it.
        let followed = Array(channels.keys)
        if let existing = try? await Session.query(on: database()).filter(\.$id ~~ followed).all(\.$id) {
            for sessionID in Set(followed).subtracting(existing) { sessionDeleted(sessionID) }
        }
        for sessionID in channels.keys { await poke(sessionID) }
    }

    private func fetch(_ sessionID: UUID, after seq: Int) async throws -> [EncodedEvent] {
        try await journal().all(JournalStatement(sessionID, after: seq, limit: Self.batchSize))
            .map(EncodedEvent.init(row:))
    }

    private func lastSeq(of sessionID: UUID) async throws -> Int {
        try await SessionEvent.query(on: journal()).filter(\.$session.$id == sessionID).max(\.$seq) ?? 0
    }

    private func oldestSeq(of sessionID: UUID) async throws -> Int? {
        try await SessionEvent.query(on: journal()).filter(\.$session.$id == sessionID).min(\.$seq)
    }
}

/// The signs of life of live connections (pongs, client frames), gathered for a moment and
/// written as a few `UPDATE … SET last_seen` instead of one heartbeat transaction each: with
/// 19,600 connections pinged every 20 s those were a thousand transactions a second, and the
/// server spent its two cores on them at rest. Someone no longer online (swept meanwhile) still
/// goes through the whole heartbeat, which brings them back and tells the session.
final class PresenceTouches: Sendable {
    private struct Key: Hashable {
        let sessionID: UUID
        let userID: Int
    }

    private struct Pending {
        var grants: [Key: LiveController.Grant] = [:]
        var scheduled = false
    }

    private let pending = NIOLockedValueBox(Pending())
    /// Far below the presence timeout (60 s by default), which the 15 s touch interval already keeps.
    static let delay: Duration = .seconds(2)
    /// Two binds a row: well below SQLite's and PostgreSQL's limits on bound parameters.
    static let chunk = 500

    func add(_ grant: LiveController.Grant, app: Application) {
        let first = pending.withLockedValue { state -> Bool in
            state.grants[Key(sessionID: grant.sessionID, userID: grant.caller.userID)] = grant
            defer { state.scheduled = true }
            return !state.scheduled
        }
        guard first else { return }
        // Taken now: after the delay the application may be shutting down, and its hub refuses work.
        let hub = app.live
        Task {
            try? await Task.sleep(for: Self.delay)
            await hub.guarded { await self.flush(app: app) }
        }
    }

    private func flush(app: Application) async {
        let grants = pending.withLockedValue { state -> [LiveController.Grant] in
            defer { state = Pending() }
            return Array(state.grants.values)
        }
        let now = app.clock.now()
        var stale: [LiveController.Grant] = []
        for start in stride(from: 0, to: grants.count, by: Self.chunk) {
            let part = grants[start..<min(start + Self.chunk, grants.count)]
            do {
                let rows = try await (app.db as! any SQLDatabase).update(SessionPresence.schema)
                    .set("last_seen", to: now)
                    .where("is_online", .equal, true)
                    .where(SQLGroupExpression([SQLIdentifier("session_id"), SQLIdentifier("user_id")]), .in,
                           SQLGroupExpression(part.map { SQLGroupExpression([SQLBind($0.sessionID), SQLBind($0.caller.userID)]) }))
                    .returning("session_id", "user_id")
                    .all()
                let refreshed = Set(rows.compactMap { row in
                    (try? row.decode(column: "session_id", as: UUID.self)).flatMap { session in
                        (try? row.decode(column: "user_id", as: Int.self)).map { Key(sessionID: session, userID: $0) }
                    }
                })
                stale += part.filter { !refreshed.contains(Key(sessionID: $0.sessionID, userID: $0.caller.userID)) }
            } catch {
                app.logger.warning("live presence batch failed: \(String(reflecting: error))")
                stale += part
            }
        }
        for grant in stale {
            await LiveController.markOnline(grant, app: app)
        }
    }
}

/// Live connections that closed, gathered for a moment and taken offline with one transaction
/// (one lock of the session's row) per session instead of one per socket: when a server restarts
/// or a network drops, every connection of every table closes at once, and 19,600 transactions
/// queued seven by seven on the sessions' locks kept PostgreSQL busy for over a minute.
final class PresenceDepartures: Sendable {
    private struct Departure {
        let grant: LiveController.Grant
        let at: Date
    }

    private struct Pending {
        var departures: [UUID: [Int: Departure]] = [:]
        var scheduled = false
    }

    private let pending = NIOLockedValueBox(Pending())
    /// Short enough that the others see someone leave at once; long enough to gather a wave.
    static let delay: Duration = .milliseconds(250)
    /// Sessions settled side by side, within the database pool.
    static let parallelism = 4

    /// `hub` is captured now: the flush may come after the application has let go of it at
    /// shutdown, and the hub then refuses the work.
    func add(_ grant: LiveController.Grant, at now: Date, hub: LiveHub, app: Application) {
        let first = pending.withLockedValue { state -> Bool in
            state.departures[grant.sessionID, default: [:]][grant.caller.userID] = Departure(grant: grant, at: now)
            defer { state.scheduled = true }
            return !state.scheduled
        }
        guard first else { return }
        Task {
            try? await Task.sleep(for: Self.delay)
            await hub.guarded { await self.flush(hub: hub, app: app) }
        }
    }

    private func flush(hub: LiveHub, app: Application) async {
        let sessions = pending.withLockedValue { state -> [(UUID, [Departure])] in
            defer { state = Pending() }
            return state.departures.map { ($0.key, Array($0.value.values)) }
        }
        await withTaskGroup(of: Void.self) { group in
            for (index, (sessionID, departures)) in sessions.enumerated() {
                if index >= Self.parallelism { await group.next() }
                group.addTask { await Self.settle(departures, in: sessionID, hub: hub, app: app) }
            }
        }
    }

    private static func settle(_ departures: [Departure], in sessionID: UUID, hub: LiveHub, app: Application) async {
        var stillAway: [Departure] = []
        // Back meanwhile on another socket of this instance: still here.
        for departure in departures where await hub.connections(of: departure.grant.caller.userID, in: sessionID) == 0 {
            stillAway.append(departure)
        }
        let leaving = stillAway
        guard !leaving.isEmpty else { return }
        do {
            try await app.db.transaction { db in
                _ = try await Participation.lockSession(sessionID, on: db)
                try await Participation.disconnect(leaving.map { ($0.grant.caller.userID, $0.at) }, from: sessionID, on: db)
            }
            await hub.publish(sessionID)
        } catch {
            app.logger.warning("live presence not cleared: \(String(reflecting: error))")
        }
    }
}

extension Application {
    private struct HubKey: StorageKey { typealias Value = LiveHub }

    /// This instance's hub, made once at configuration.
    var live: LiveHub {
        guard let hub = storage[HubKey.self] else { fatalError("configure(_:) installs the live hub") }
        return hub
    }

    func installLiveHub() {
        let metrics = metrics
        let hub = LiveHub(database: { [unowned self] in self.db }, journal: { [unowned self] in self.readDB }, logger: logger,
                          socketsPerSession: config.liveSocketsPerSession, socketsPerUser: config.liveSocketsPerUser,
                          published: { metrics.livePublished($0) })
        storage[HubKey.self] = hub
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
