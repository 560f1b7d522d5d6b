import NIOPosix
import Vapor

/// Bcrypt at cost 12 keeps a core busy for a quarter of a second. On the application's blocking
/// pool, where SQLite's readers also run, a registration flood took `/health` from 1 ms to 382 ms
/// and a login to 912 ms. Hashing gets a few threads of its own, people signing in go before
/// accounts being created, and beyond a bounded queue a request is refused (503) at once rather
/// than piling up behind minutes of work.
final class PasswordHashing: Sendable {
    enum Priority: Sendable {
        /// Someone waits to sign in or to change a password.
        case interactive
        /// An account being created: the work an attacker can order in bulk.
        case bulk
    }

    private let pool: NIOThreadPool
    private let hasher: any PasswordHasher
    private let gate: Gate

    /// `queue` bounds the requests waiting for a thread; nil waits without bound (load tests).
    init(threads: Int, queue: Int?, hasher: any PasswordHasher) {
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        self.hasher = hasher
        gate = Gate(threads: threads, queue: queue)
    }

    func hash(_ password: String, _ priority: Priority) async throws -> String {
        let hasher = hasher
        return try await run(priority) { try hasher.hash(password) }
    }

    /// False for a wrong password and for a digest that cannot be read alike.
    func verify(_ password: String, created digest: String, _ priority: Priority) async throws -> Bool {
        let hasher = hasher
        return try await run(priority) { (try? hasher.verify(password, created: digest)) ?? false }
    }

    func shutdown() async throws {
        try await pool.shutdownGracefully()
    }

    private func run<T: Sendable>(_ priority: Priority, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await gate.enter(priority)
        do {
            let result = try await pool.runIfActive(work)
            await gate.leave()
            return result
        } catch {
            await gate.leave()
            throw error
        }
    }

    /// As many hashes running as there are threads; the others wait in two lines, the
    /// interactive one served first.
    actor Gate {
        let threads: Int
        let queue: Int?
        private var running = 0
        private var interactive: [CheckedContinuation<Void, Never>] = []
        private var bulk: [CheckedContinuation<Void, Never>] = []

        init(threads: Int, queue: Int?) {
            self.threads = threads
            self.queue = queue
        }

        var queued: Int { interactive.count + bulk.count }

        func enter(_ priority: Priority) async throws {
            if running < threads {
                running += 1
                return
            }
            if let queue, queued >= queue {
                throw AppError.unavailable(
                    "Trop de mots de passe à vérifier en même temps : réessayez dans quelques secondes.", retryAfter: 2)
            }
            // The slot is handed over by `leave`, which does not count it free in between.
            await withCheckedContinuation { continuation in
                switch priority {
                case .interactive: interactive.append(continuation)
                case .bulk: bulk.append(continuation)
                }
            }
        }

        func leave() {
            if !interactive.isEmpty {
                interactive.removeFirst().resume()
            } else if !bulk.isEmpty {
                bulk.removeFirst().resume()
            } else {
                running -= 1
            }
        }
    }
}

extension Application {
    private struct PasswordHashingKey: StorageKey { typealias Value = PasswordHashing }

    var passwordHashing: PasswordHashing {
        guard let hashing = storage[PasswordHashingKey.self] else {
            fatalError("configure(_:) installs password hashing")
        }
        return hashing
    }

    /// Threads of its own, apart from `threadPool` (SQLite's), stopped with the application.
    func installPasswordHashing() {
        let limits = config.limits
        let hashing = PasswordHashing(
            threads: limits.hashThreads, queue: limits.enabled ? limits.hashQueue : nil,
            hasher: password.sync)
        storage[PasswordHashingKey.self] = hashing
        lifecycle.use(PasswordHashingLifecycle(hashing: hashing))
    }
}

private struct PasswordHashingLifecycle: LifecycleHandler {
    let hashing: PasswordHashing

    func shutdownAsync(_ application: Application) async {
        do {
            try await hashing.shutdown()
        } catch {
            application.logger.report(error: error)
        }
    }
}
