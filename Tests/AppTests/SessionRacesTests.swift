import EtrangeDomain
import Fluent
import Foundation
import Testing
import Vapor

@testable import App

/// Two tabs pressing « Démarrer » at once, a start racing a cancel, two sessions of one partie
/// started together: the database lets exactly one win, and the loser gets a clear 409.
@Suite struct SessionRacesTests {
    func race(_ api: TestAPI, _ table: Table, _ moves: [(SessionResponse, SessionAction)]) async throws -> [(
        SessionAction, APIResponse
    )] {
        try await withThrowingTaskGroup(of: (SessionAction, APIResponse).self) { group in
            for (session, action) in moves {
                group.addTask { (action, try await api.move(session, action, table)) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func startRacingStart(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            for _ in 0..<5 {
                let session = try await api.createSession(table)
                let results = try await race(api, table, Array(repeating: (session, .start), count: 6))
                #expect(results.filter { $0.1.status == .ok }.count == 1)
                #expect(results.filter { $0.1.status == .conflict }.count == 5)
                let final = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.mj.token).decode(
                    SessionResponse.self)
                #expect(final.status == .active)
                try await api.move(session, .end, table)
            }
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func startRacingCancel(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            for _ in 0..<6 {
                let session = try await api.createSession(table)
                let results = try await race(api, table, [(session, .start), (session, .cancel)])
                let winners = results.filter { $0.1.status == .ok }
                let final = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.mj.token).decode(
                    SessionResponse.self)
                // Either cancel won outright, or start won and the cancel came after it (both 200).
                switch final.status {
                case .cancelled:
                    #expect(final.endedAt != nil)
                    if winners.count == 1 { #expect(winners[0].0 == .cancel) }
                case .active:
                    #expect(winners.map(\.0) == [.start])
                    #expect(final.endedAt == nil)
                    try await api.move(session, .end, table)
                default:
                    Issue.record("impossible state \(final.status)")
                }
                #expect(results.allSatisfy { $0.1.status == .ok || $0.1.status == .conflict })
            }
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func endRacingCancel(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            for _ in 0..<5 {
                let session = try await api.session(in: .active, table)
                api.clock.advance(by: 600)
                let results = try await race(api, table, [(session, .end), (session, .cancel)])
                #expect(results.filter { $0.1.status == .ok }.count == 1)
                let final = try await api.send(.GET, "/api/sessions/\(session.id)", token: table.mj.token).decode(
                    SessionResponse.self)
                let winner = try #require(results.first { $0.1.status == .ok })
                #expect(final.status == winner.0.to)
                #expect(final.durationMinutes == 10)
                #expect(final.endedAt == api.clock.now())
            }
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func twoSessionsOfOnePartie(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            for round in 0..<4 {
                var sessions: [SessionResponse] = []
                for index in 0..<4 { sessions.append(try await api.createSession(table, name: "R\(round)-\(index)")) }
                let results = try await race(api, table, sessions.map { ($0, .start) })
                #expect(results.filter { $0.1.status == .ok }.count == 1)
                let running = try await api.send(
                    .GET, "/api/sessions?partie_id=\(table.partie.id)&status=active", token: table.mj.token
                )
                .decode(Page<SessionResponse>.self)
                #expect(running.items.count == 1)
                try await api.move(try #require(running.items.first), .end, table)
            }
        }
    }
}
