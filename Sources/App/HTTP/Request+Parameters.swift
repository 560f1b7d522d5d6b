import Vapor

extension Request {
    /// An integer id from the path, or a 400 naming it.
    func intParameter(_ name: String = "id") throws -> Int {
        guard let raw = parameters.get(name), let value = Int(raw), value > 0 else {
            throw AppError.invalid(field: name, reason: "doit être un entier positif.")
        }
        return value
    }

    /// A UUID from the path, or a 400 naming it.
    func uuidParameter(_ name: String = "id") throws -> UUID {
        guard let raw = parameters.get(name), let value = UUID(uuidString: raw) else {
            throw AppError.invalid(field: name, reason: "doit être un UUID.")
        }
        return value
    }
}
