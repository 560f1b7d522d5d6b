import EtrangeDomain
import Testing

@testable import App

/// `withApp` with a fixture `make` makes first, handed to `body` beside the API.
private func withFixture<Fixture, T>(
    _ database: TestDatabase,
    configure adjust: (inout AppConfig) -> Void,
    _ make: (TestAPI) async throws -> Fixture,
    _ body: (TestAPI, Fixture) async throws -> T
) async throws -> T {
    try await withApp(database, configure: adjust) { api in
        try await body(api, try await make(api))
    }
}

/// `withApp` with the usual table already made: an MJ, a player who joined the partie, an
/// outsider. Most tests start from it.
func withTable<T>(
    _ database: TestDatabase,
    configure adjust: (inout AppConfig) -> Void = { _ in },
    _ body: (TestAPI, Table) async throws -> T
) async throws -> T {
    try await withFixture(database, configure: adjust, { try await Table.make($0) }, body)
}

/// `withTable` with a session of the table's partie brought to `status` through the API (no one
/// seated in it yet).
func withSession<T>(
    _ database: TestDatabase,
    in status: SessionStatus = .active,
    configure adjust: (inout AppConfig) -> Void = { _ in },
    _ body: (TestAPI, Table, SessionResponse) async throws -> T
) async throws -> T {
    try await withTable(database, configure: adjust) { api, table in
        try await body(api, table, try await api.session(in: status, table))
    }
}

extension TestAPI {
    /// The table's player's character in its partie, « Armand ».
    func armand(_ table: Table) async throws -> CharacterResponse {
        try await createCharacter(table.player, name: "Armand", partieID: table.partie.id)
    }
}

extension TestAPI {
    func login(_ username: String, _ password: String) async throws -> APIResponse {
        try await send(.POST, "/api/auth/login", json: ["username": username, "password": password])
    }
}

/// `withApp` with the card table already made: the usual table, in a running session where its
/// player sits as Armand (`CardTable`).
func withCardTable<T>(
    _ database: TestDatabase,
    configure adjust: (inout AppConfig) -> Void = { _ in },
    _ body: (TestAPI, CardTable) async throws -> T
) async throws -> T {
    try await withFixture(database, configure: adjust, CardTable.make, body)
}
