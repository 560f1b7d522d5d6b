import Vapor

struct DeleteAccountRequest: Content {
    /// Typed again: a stolen token alone cannot delete the account.
    var password: String
}

/// A partie named in the 409 of an MJ who deletes their account.
struct RunPartie: Content {
    let id: Int
    let name: String
}

/// The 409 of `DELETE /api/me` while the caller still runs parties: the usual error body, and
/// the parties to hand over (`POST /api/parties/{id}/transfer`) or delete first.
struct PartiesStillRunResponse: Content {
    var error = true
    var status = 409
    let reason: String
    let parties: [RunPartie]
}
