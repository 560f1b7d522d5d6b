import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Where the server reads the time, so that tests pin it instead of sleeping.
public protocol AppClock: Sendable {
    func now() -> Date
}

public struct SystemClock: AppClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when told to.
public final class ManualClock: AppClock {
    private let current: NIOLockedValueBox<Date>

    public init(_ start: Date) { current = .init(start) }

    public func now() -> Date { current.withLockedValue { $0 } }

    public func advance(by seconds: TimeInterval) {
        current.withLockedValue { $0 += seconds }
    }

    public func set(_ date: Date) {
        current.withLockedValue { $0 = date }
    }
}

extension Application {
    private struct ClockKey: StorageKey { typealias Value = any AppClock }

    public var clock: any AppClock {
        get { storage[ClockKey.self] ?? SystemClock() }
        set { storage[ClockKey.self] = newValue }
    }
}

extension Request {
    /// The instant this request is served at, from the application's clock.
    var now: Date { application.clock.now() }
}
