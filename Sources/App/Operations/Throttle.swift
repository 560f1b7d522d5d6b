import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Token buckets in memory, one per key ("login:user:armand", "chat:42"…), on the application's
/// clock so tests move time instead of waiting. Per instance: behind a load balancer each
/// instance limits on its own, which bounds abuse at n times the limit.
public final class Throttle: Sendable {
    public struct Rule: Sendable {
        /// Requests allowed in a burst.
        public var burst: Double
        /// Seconds for the bucket to refill completely.
        public var window: TimeInterval

        public init(burst: Double, window: TimeInterval) {
            self.burst = burst
            self.window = window
        }
    }

    private let buckets = NIOLockedValueBox<[String: TokenBucket]>([:])
    private static let pruneAbove = 50_000

    /// Takes one token from `key`'s bucket. Nil when allowed; otherwise the seconds to wait.
    func take(_ key: String, _ rule: Rule, now: Date) -> Int? {
        let instant = now.timeIntervalSinceReferenceDate
        return buckets.withLockedValue { buckets in
            if buckets.count > Self.pruneAbove { Self.prune(&buckets, now: instant, window: rule.window) }
            var bucket = buckets[key] ?? TokenBucket(rule, at: instant)
            defer { buckets[key] = bucket }
            return bucket.take(rule, at: instant).map { max(1, Int($0.rounded(.up))) }
        }
    }

    /// Gives back the token an attempt took, for attempts that turn out to count for nothing
    /// (a correct password, a valid invitation code). Taking first and refunding after keeps
    /// simultaneous attempts from all finding the bucket full.
    func refund(_ key: String, _ rule: Rule) {
        buckets.withLockedValue { buckets in
            buckets[key]?.refund(rule)
        }
    }

    /// Buckets untouched for a whole window are full again: forgetting them changes nothing.
    private static func prune(_ buckets: inout [String: TokenBucket], now: TimeInterval, window: TimeInterval) {
        buckets = buckets.filter { now - $0.value.updated < window }
    }
}

/// A token bucket: `burst` tokens at most, given back evenly over `window` seconds. Time is in
/// seconds on the clock its owner reads: the application's for `Throttle` (tests move it), the
/// monotonic one for the live channel's frames (a rate about the network, not the game).
struct TokenBucket: Sendable {
    private(set) var tokens: Double
    private(set) var updated: TimeInterval

    /// Full: the first burst is allowed.
    init(_ rule: Throttle.Rule, at now: TimeInterval) {
        tokens = rule.burst
        updated = now
    }

    /// Takes one token. Nil when allowed; otherwise the seconds until one is back. A clock that
    /// went backwards gives nothing back rather than taking away.
    mutating func take(_ rule: Throttle.Rule, at now: TimeInterval) -> TimeInterval? {
        tokens = min(rule.burst, tokens + max(0, now - updated) * rule.burst / rule.window)
        updated = now
        guard tokens >= 1 else { return (1 - tokens) * rule.window / rule.burst }
        tokens -= 1
        return nil
    }

    /// Gives back a token taken for an attempt that turned out to count for nothing.
    mutating func refund(_ rule: Throttle.Rule) {
        tokens = min(rule.burst, tokens + 1)
    }
}

/// The allowances, part of the configuration.
public struct Limits: Sendable {
    /// Failed logins to one account from one address: failures from elsewhere never lock its
    /// owner out, and a correct password costs nothing.
    public var loginPerAccount = Throttle.Rule(burst: 10, window: 15 * 60)
    public var loginPerAddress = Throttle.Rule(burst: 50, window: 15 * 60)
    /// Accounts created from one address (a family behind one router signs up together)…
    public var registerPerAddress = Throttle.Rule(burst: 10, window: 60 * 60)
    /// …and by everyone: each one costs a bcrypt hash and leaves a row behind.
    public var registerGlobal = Throttle.Rule(burst: 60, window: 10 * 60)
    /// Invitation codes tried and not found, per person and per address: guessing them ran at
    /// 434 a second.
    public var joinPerUser = Throttle.Rule(burst: 10, window: 15 * 60)
    public var joinPerAddress = Throttle.Rule(burst: 30, window: 15 * 60)
    public var characters = Throttle.Rule(burst: 20, window: 60 * 60)
    public var scenarios = Throttle.Rule(burst: 10, window: 60 * 60)
    /// Shuffles and pot or joker changes, per person.
    public var deckActions = Throttle.Rule(burst: 30, window: 60)
    public var chat = Throttle.Rule(burst: 30, window: 60)
    public var draws = Throttle.Rule(burst: 30, window: 60)
    public var heartbeats = Throttle.Rule(burst: 30, window: 60)
    /// Live tickets, per person: the page asks for one at every (re)connection, which its
    /// back-off spaces out; each one is a row written.
    public var liveTickets = Throttle.Rule(burst: 30, window: 60)
    /// Webhook tests, per user: each makes the server call out, enough to check a receiver and
    /// too few to scan with.
    public var webhookTests = Throttle.Rule(burst: 5, window: 5 * 60)
    /// New webhook addresses, per user, for the same reason.
    public var webhookAddresses = Throttle.Rule(burst: 10, window: 60 * 60)
    /// Handouts uploaded, per MJ: each one is decoded whole and stored.
    public var handoutUploads = Throttle.Rule(burst: 30, window: 60 * 60)
    /// Exports of one's data, per person: each reads everything they ever did at once.
    public var exports = Throttle.Rule(burst: 3, window: 60 * 60)
    /// Threads that hash passwords, apart from the blocking pool (`ETRANGE_HASH_THREADS`): half
    /// the cores, so that a flood of registrations leaves the others to everything else. On two
    /// cores, one thread kept a correct login at 391 ms under a flood where two gave 612 ms.
    public var hashThreads = max(1, System.coreCount / 2)
    /// Hashes that may wait for those threads; beyond, 503 (`ETRANGE_HASH_QUEUE`).
    public var hashQueue = 16
    /// Off only for load tests, where thousands of simulated players share one address; the
    /// hashing queue is then unbounded too.
    public var enabled = true

    public init() {}
}

extension Application {
    private struct ThrottleKey: StorageKey { typealias Value = Throttle }

    var throttle: Throttle {
        get { storage[ThrottleKey.self] ?? Throttle() }
        set { storage[ThrottleKey.self] = newValue }
    }
}

extension Request {
    /// Refuses with 429 and `Retry-After` once `key` has used its allowance.
    func limit(_ key: String, _ rule: Throttle.Rule, reason: String) throws {
        guard application.config.limits.enabled else { return }
        if let wait = application.throttle.take(key, rule, now: now) {
            throw AppError.tooManyRequests("\(reason) Réessayez dans \(wait) s.", retryAfter: wait)
        }
    }

    /// Like `limit`, for attempts that count only when they fail: `body` runs with the token
    /// taken, which comes back when it succeeds, or when another allowance refused the attempt
    /// before it tried anything.
    func limitFailures<T>(_ key: String, _ rule: Throttle.Rule, reason: String, _ body: () async throws -> T)
        async throws -> T
    {
        try limit(key, rule, reason: reason)
        do {
            let result = try await body()
            refund(key, rule)
            return result
        } catch let error as AppError {
            if case .tooManyRequests = error { refund(key, rule) }
            throw error
        }
    }

    private func refund(_ key: String, _ rule: Throttle.Rule) {
        if application.config.limits.enabled { application.throttle.refund(key, rule) }
    }
}
