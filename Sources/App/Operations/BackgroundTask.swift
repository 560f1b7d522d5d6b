import NIOConcurrencyHelpers

/// A loop a lifecycle handler runs from boot to shutdown: started once, and at shutdown
/// cancelled and waited for, so that nothing of it outlives the application.
final class BackgroundTask: Sendable {
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    func start(_ operation: @escaping @Sendable () async -> Void) {
        task.withLockedValue { $0 = Task(operation: operation) }
    }

    func stop() async {
        let running = task.withLockedValue { current -> Task<Void, Never>? in
            defer { current = nil }
            return current
        }
        running?.cancel()
        await running?.value
    }
}
