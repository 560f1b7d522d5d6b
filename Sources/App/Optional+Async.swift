extension Optional {
    /// `map` for a transform that awaits, which the standard library's cannot.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
