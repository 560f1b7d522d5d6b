import Fluent
import SQLKit
import Vapor

/// A partie page's way to see the others' answers as they come (the date polls' grid, the RSVPs)
/// without a socket: `GET /api/parties/{id}/changes?after=R` answers at once when the partie's
/// revision is no longer `R`, and otherwise waits for its next change, a while at most. Each change
/// bumps `parties.revision` in its own transaction, which also tells the other instances on
/// PostgreSQL (NOTIFY, delivered at commit); after the commit, `changed` wakes this instance's
/// waiters.
actor PartieChanges {
    private enum Waiter {
        /// Registered; parked once it has a continuation.
        case waiting(CheckedContinuation<Void, Never>?)
        /// Woken before it parked: it will not park.
        case woken
    }

    private var waiters: [Int: [UUID: Waiter]] = [:]

    /// Inside the change's transaction.
    static func record(_ partieID: Int, on db: any Database) async throws {
        try await db.sql.update(Partie.schema)
            .set(SQLIdentifier("revision"), to: SQLRaw("revision + 1"))
            .where("id", .equal, partieID)
            .run()
        try await LiveEvents.notify("p:\(partieID)", on: db)
    }

    static func revision(of partieID: Int, on db: any Database) async throws -> Int {
        struct Row: Decodable { let revision: Int }
        let row = try await db.sql.select().column("revision").from(Partie.schema)
            .where("id", .equal, partieID).first(decoding: Row.self)
        guard let row else { throw AppError.notFound("Partie introuvable.") }
        return row.revision
    }

    /// Before reading the revision: a change committed after the reading wakes this waiter even
    /// if it has not parked yet.
    func register(_ id: UUID, for partieID: Int) {
        waiters[partieID, default: [:]][id] = .waiting(nil)
    }

    /// Until the partie changes or `wake` is called for this waiter (its time is up).
    func park(_ id: UUID, for partieID: Int) async {
        await withCheckedContinuation { continuation in
            if case .waiting(nil) = waiters[partieID]?[id] {
                waiters[partieID]?[id] = .waiting(continuation)
            } else {
                cancel(id, of: partieID)
                continuation.resume()
            }
        }
    }

    /// Wakes everyone waiting on the partie, once its change has committed.
    func changed(_ partieID: Int) {
        for id in waiters[partieID]?.keys.map({ $0 }) ?? [] { wake(id, of: partieID) }
    }

    func wake(_ id: UUID, of partieID: Int) {
        switch waiters[partieID]?[id] {
        case .waiting(let continuation?)?:
            cancel(id, of: partieID)
            continuation.resume()
        case .waiting(nil)?:
            waiters[partieID]?[id] = .woken
        case .woken?, nil:
            break
        }
    }

    /// A waiter that will not park (the revision had already moved).
    func cancel(_ id: UUID, of partieID: Int) {
        waiters[partieID]?[id] = nil
        if waiters[partieID]?.isEmpty == true { waiters[partieID] = nil }
    }

    /// Waiters still held, for the tests that check none is left behind.
    var count: Int { waiters.values.reduce(0) { $0 + $1.count } }
}

struct PartieRevisionResponse: Content {
    let revision: Int
}

/// `GET /api/parties/{id}/changes`: what the partie page waits on.
struct PartieChangesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.grouped(TokenAuthMiddleware()).get("api", "parties", ":id", "changes", use: changes)
    }

    func changes(req: Request) async throws -> PartieRevisionResponse {
        let caller = try req.caller
        let partie = try await Partie.visible(req.intParameter(), to: caller, on: req.readDB)
        var after: Int?
        if let raw = req.queryValue("after") {
            guard let value = Int(raw), value >= 0 else {
                throw AppError.invalid(field: "after", reason: "doit être un entier positif ou nul.")
            }
            after = value
        }
        let hub = req.application.partieChanges
        let id = UUID()
        await hub.register(id, for: partie.id)
        let revision = try await PartieChanges.revision(of: partie.id, on: req.readDB)
        guard revision == after else {
            await hub.cancel(id, of: partie.id)
            return PartieRevisionResponse(revision: revision)
        }
        let limit = req.application.config.partieChangesWait
        let timer = Task {
            try? await Task.sleep(for: .milliseconds(Int(limit * 1000)))
            await hub.wake(id, of: partie.id)
        }
        await hub.park(id, for: partie.id)
        timer.cancel()
        return PartieRevisionResponse(revision: try await PartieChanges.revision(of: partie.id, on: req.readDB))
    }
}

extension Application {
    var partieChanges: PartieChanges { installed() }
}

extension Request {
    /// After the commit of a change `PartieChanges.record` wrote.
    func partieChanged(_ partieID: Int) async {
        await application.partieChanges.changed(partieID)
    }
}
