import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Tokens already verified, with their account, so that the request path does not read the token
/// and the account on every call (it runs before every authenticated request, and a phone sends a
/// heartbeat every few seconds). An entry is trusted for `lifetime` at most and never past the
/// token's expiry. Revocation drops it at once here and, on PostgreSQL, on the other instances
/// through the `t:` notification; a listener that lost its connection may have missed some, so
/// it empties the cache when it is back.
final class TokenCache: Sendable {
    private struct Entry {
        let caller: Caller
        let expiresAt: Date
        let verifiedAt: Date
    }

    private struct State {
        var byDigest: [String: Entry] = [:]
        var digestByToken: [UUID: String] = [:]
    }

    private let state = NIOLockedValueBox(State())
    static let lifetime: TimeInterval = 60
    /// A bound on memory whatever the traffic; past it the cache starts over.
    static let capacity = 100_000

    func caller(digest: String, now: Date) -> Caller? {
        state.withLockedValue { state in
            guard let entry = state.byDigest[digest] else { return nil }
            // The clock may be set back (tests pin it): an entry from the future is not trusted either.
            guard now < entry.expiresAt, abs(now.timeIntervalSince(entry.verifiedAt)) < Self.lifetime else {
                state.byDigest[digest] = nil
                state.digestByToken[entry.caller.tokenID] = nil
                return nil
            }
            return entry.caller
        }
    }

    func store(_ caller: Caller, digest: String, expiresAt: Date, now: Date) {
        state.withLockedValue { state in
            if state.byDigest.count >= Self.capacity { state = State() }
            state.byDigest[digest] = Entry(caller: caller, expiresAt: expiresAt, verifiedAt: now)
            state.digestByToken[caller.tokenID] = digest
        }
    }

    func revoke(tokenID: UUID) {
        state.withLockedValue { state in
            guard let digest = state.digestByToken.removeValue(forKey: tokenID) else { return }
            state.byDigest[digest] = nil
        }
    }

    func removeAll() {
        state.withLockedValue { $0 = State() }
    }
}

extension Application {
    var tokenCache: TokenCache { installed() }

    func installTokenCache() { install(TokenCache()) }
}
