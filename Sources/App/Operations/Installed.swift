import Vapor

extension Application {
    /// Storage keyed by the service's own type: one instance of each per application.
    private struct InstalledKey<Service: Sendable>: StorageKey { typealias Value = Service }

    /// Keeps `service` for the application's lifetime. Only `configure(_:)` installs:
    /// storage is not for writing from concurrent requests.
    func install<Service: Sendable>(_ service: Service) {
        storage[InstalledKey<Service>.self] = service
    }

    /// The `Service` that `configure(_:)` installed; asking before it did is a programming error.
    func installed<Service: Sendable>(_ type: Service.Type = Service.self) -> Service {
        guard let service = storage[InstalledKey<Service>.self] else {
            fatalError("configure(_:) installs the \(Service.self)")
        }
        return service
    }
}
