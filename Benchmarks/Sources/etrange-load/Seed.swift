import Foundation

/// What seeding leaves behind for the later phases: every session with its seven members, the MJ
/// first. Tokens live 30 days, so one seed serves many runs against the same database.
struct SeedFile: Codable {
    var target: String
    var sessions: [SeededSession]
}

struct SeededSession: Codable, Sendable {
    let id: String
    let partieId: Int
    let members: [SeededMember]
}

struct SeededMember: Codable, Sendable {
    let userId: Int
    let token: String
    let characterId: String?
}

extension SeedFile {
    static func load(_ path: String) throws -> SeedFile {
        try JSONDecoder().decode(SeedFile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func save(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }
}

/// Builds sessions through the public API only, exactly as people would: register, create a
/// partie, invite six players who each make a character, start the session, everyone joins.
struct Seeder {
    let client: HTTPClient
    let prefix: String
    static let password = "bench-password"

    func register(_ username: String) async throws -> (id: Int, token: String) {
        let body = #"{"username":"\#(username)","password":"\#(Self.password)","display_name":"Bench \#(username)"}"#
        let json = try await client.expect(201, .POST, "/api/auth/register", json: body).json
        guard let token = json?["token"] as? String, let user = json?["user"] as? [String: Any],
            let id = user["id"] as? Int
        else {
            throw LoadError("register: unexpected answer")
        }
        return (id, token)
    }

    func seedSession(_ index: Int) async throws -> SeededSession {
        let mj = try await register("\(prefix)s\(index)m0")
        let partie = try await client.expect(
            201, .POST, "/api/parties", token: mj.token, json: #"{"name":"Bench \#(index)"}"#
        ).json
        guard let partieID = partie?["id"] as? Int, let code = partie?["invite_code"] as? String else {
            throw LoadError("partie: unexpected answer")
        }
        let session = try await client.expect(
            201, .POST, "/api/sessions", token: mj.token,
            json: #"{"partie_id":\#(partieID),"name":"Table \#(index)","max_players":6}"#
        ).json
        guard let sessionID = session?["id"] as? String else { throw LoadError("session: unexpected answer") }

        let players = try await withThrowingTaskGroup(of: (Int, SeededMember).self) { group in
            for seat in 1...6 {
                group.addTask {
                    let player = try await register("\(prefix)s\(index)m\(seat)")
                    _ = try await client.expect(
                        200, .POST, "/api/parties/join", token: player.token, json: #"{"invite_code":"\#(code)"}"#)
                    let character = try await client.expect(
                        201, .POST, "/api/characters", token: player.token,
                        json: #"{"name":"Perso \#(seat)","partie_id":\#(partieID)}"#
                    ).json
                    guard let characterID = character?["id"] as? String else {
                        throw LoadError("character: unexpected answer")
                    }
                    return (seat, SeededMember(userId: player.id, token: player.token, characterId: characterID))
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        _ = try await client.expect(200, .POST, "/api/sessions/\(sessionID)/start", token: mj.token)
        _ = try await client.expect(200, .POST, "/api/sessions/\(sessionID)/join", token: mj.token)
        for seat in 1...6 {
            _ = try await client.expect(
                200, .POST, "/api/sessions/\(sessionID)/join", token: players[seat]!.token,
                json: #"{"character_id":"\#(players[seat]!.characterId!)"}"#)
        }
        return SeededSession(
            id: sessionID, partieId: partieID,
            members: [SeededMember(userId: mj.id, token: mj.token, characterId: nil)] + (1...6).map { players[$0]! })
    }

    /// Seeds `count` sessions, `concurrency` at a time, in index order in the result.
    func seed(count: Int, concurrency: Int, progress: @escaping @Sendable (Int) -> Void) async throws -> [SeededSession]
    {
        var results = [SeededSession?](repeating: nil, count: count)
        try await withThrowingTaskGroup(of: (Int, SeededSession).self) { group in
            var launched = 0
            var done = 0
            while launched < min(concurrency, count) {
                let index = launched
                group.addTask { (index, try await seedSession(index)) }
                launched += 1
            }
            while let (index, session) = try await group.next() {
                results[index] = session
                done += 1
                if done % 100 == 0 { progress(done) }
                if launched < count {
                    let index = launched
                    group.addTask { (index, try await seedSession(index)) }
                    launched += 1
                }
            }
        }
        return results.map { $0! }
    }
}
