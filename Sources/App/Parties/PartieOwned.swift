import Fluent

/// A row that belongs to one partie (a date poll, a series of sessions): the partie's members see
/// it, its MJ manages it, and anyone else gets the 404 of a row that does not exist, so that
/// another group's rows are never revealed.
protocol PartieOwned: Model {
    /// The partie the row belongs to.
    var partieID: Int { get }
    /// The 404 of a row that does not exist, or that the caller may not see.
    static var notFound: AppError { get }
    /// The 403 a member who is not the partie's MJ gets for a change.
    static var onlyTheMJ: AppError { get }
}

extension PartieOwned {
    /// The row and its partie if the caller belongs to the partie.
    static func visible(_ id: IDValue, to caller: Caller, on db: any Database) async throws -> (Self, VisiblePartie) {
        guard let row = try await find(id, on: db),
            let partie = try? await Partie.visible(row.partieID, to: caller, on: db)
        else { throw notFound }
        return (row, partie)
    }

    /// Like `visible`, but only for the partie's MJ; its other members get `onlyTheMJ`.
    static func managed(_ id: IDValue, by caller: Caller, on db: any Database) async throws -> (Self, VisiblePartie) {
        let (row, partie) = try await visible(id, to: caller, on: db)
        guard partie.isMJ else { throw onlyTheMJ }
        return (row, partie)
    }
}
