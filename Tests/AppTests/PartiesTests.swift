import Fluent
import Foundation
import Testing
import Vapor

@testable import App

@Suite struct PartiesTests {
    @Test(arguments: TestDatabase.enabled)
    func createListAndShow(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let mj = try await api.register("marianne")
            let scenario = try await api.send(
                .POST, "/api/scenarios", token: mj.token,
                json: ["title": "Les Ombres", "description": "Une enquête"])
            #expect(scenario.status == .created)
            let scenarioID = try scenario.decode(ScenarioResponse.self).id

            let created = try await api.send(
                .POST, "/api/parties", token: mj.token,
                json: ["name": "  Campagne  ", "scenario_id": scenarioID])
            #expect(created.status == .created)
            let partie = try created.decode(PartieResponse.self)
            #expect(partie.name == "Campagne")
            #expect(partie.mjId == mj.id)
            #expect(partie.role == .mj)
            #expect(partie.scenarioTitle == "Les Ombres")
            #expect(partie.memberCount == 1)
            let code = try #require(partie.inviteCode)
            #expect(code.count == 8)
            #expect(partie.inviteUrl == "http://etrange.test/invitation/\(code)")

            let list = try await api.send(.GET, "/api/parties", token: mj.token).decode(Page<PartieResponse>.self)
            #expect(list.items.map(\.id) == [partie.id])
            #expect(list.metadata.total == 1)
            #expect(try await api.send(.GET, "/api/parties/\(partie.id)", token: mj.token).status == .ok)

            let scenarios = try await api.send(.GET, "/api/scenarios", token: mj.token).decode(
                Page<ScenarioResponse>.self)
            #expect(scenarios.items.map(\.title) == ["Les Ombres"])
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func invalidPartiesAndScenarios(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let mj = try await api.register("marianne")
            let cases: [(String, [String: Any], String)] = [
                ("/api/parties", ["name": "   "], "name"),
                ("/api/parties", ["name": String(repeating: "n", count: 101)], "name"),
                ("/api/parties", ["name": "ok", "scenario_id": 999], "scenario_id"),
                ("/api/parties", ["name": "ok", "scenario_id": "un"], "scenario_id"),
                ("/api/scenarios", ["title": ""], "title"),
                ("/api/scenarios", ["description": "sans titre"], "title"),
            ]
            for (path, body, field) in cases {
                let response = try await api.send(.POST, path, token: mj.token, json: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.error?.field == field, "\(body): \(response.text)")
            }
            #expect(try await Partie.query(on: api.db).count() == 0)
            #expect(try await api.send(.GET, "/api/parties/abc", token: mj.token).status == .badRequest)
            #expect(try await api.send(.GET, "/api/parties?per=101", token: mj.token).error?.field == "per")
            #expect(try await api.send(.GET, "/api/parties?page=0", token: mj.token).error?.field == "page")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func joiningByInvitation(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let code = try #require(table.partie.inviteCode)
            // Typed from a screen: lower case, with a dash and spaces.
            let typed = code.lowercased().prefix(4) + "-" + code.lowercased().dropFirst(4) + " "
            let again = try await api.send(
                .POST, "/api/parties/join", token: table.player.token, json: ["invite_code": String(typed)])
            #expect(again.status == .ok)
            let seen = try again.decode(PartieResponse.self)
            #expect(seen.role == .player)
            #expect(seen.inviteCode == nil)
            #expect(seen.memberCount == 2)

            let members = try await api.send(.GET, "/api/parties/\(table.partie.id)/members", token: table.player.token)
                .decode([MemberResponse].self)
            #expect(members.map(\.userId) == [table.mj.id, table.player.id])
            #expect(members.map(\.role) == [.mj, .player])

            let wrong = try await api.send(
                .POST, "/api/parties/join", token: table.outsider.token, json: ["invite_code": "ZZZZZZZZ"])
            #expect(wrong.status == .notFound)
            #expect(
                try await api.send(.POST, "/api/parties/join", token: table.outsider.token, json: ["invite_code": ""])
                    .status == .badRequest)
            #expect(try await api.send(.POST, "/api/parties/join", json: ["invite_code": code]).status == .unauthorized)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func simultaneousJoinsMakeOneMembership(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let code = try #require(table.partie.inviteCode)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await api.send(
                            .POST, "/api/parties/join", token: table.outsider.token, json: ["invite_code": code]
                        ).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .ok })
            #expect(try await PartieMember.query(on: api.db).filter(\.$user.$id == table.outsider.id).count() == 1)
        }
    }

    /// Found by fuzzing: on SQLite, a transaction that read before writing failed at once when
    /// another connection had written meanwhile.
    @Test(arguments: TestDatabase.enabled)
    func partiesAndCharactersCreatedTogether(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let mj = try await api.register("batisseuse")
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for index in 0..<30 {
                    group.addTask {
                        index % 2 == 0
                            ? try await api.send(
                                .POST, "/api/parties", token: mj.token, json: ["name": "Partie \(index)"]
                            ).status
                            : try await api.send(
                                .POST, "/api/characters", token: mj.token, json: ["name": "Perso \(index)"]
                            ).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .created })
            #expect(try await Partie.query(on: api.db).count() == 15)
            #expect(try await PartieMember.query(on: api.db).count() == 15)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func otherGroupsPartiesStayHidden(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let id = table.partie.id
            let hidden = try await api.send(.GET, "/api/parties/\(id)", token: table.outsider.token)
            let missing = try await api.send(.GET, "/api/parties/999999", token: table.outsider.token)
            #expect(hidden.status == .notFound)
            #expect(hidden.reason == missing.reason)
            #expect(
                try await api.send(.GET, "/api/parties/\(id)/members", token: table.outsider.token).status == .notFound)
            #expect(
                try await api.send(.POST, "/api/parties/\(id)/invite/rotate", token: table.outsider.token).status
                    == .notFound)
            #expect(
                try await api.send(.GET, "/api/parties/\(id)/invite.svg", token: table.outsider.token).status
                    == .notFound)
            let list = try await api.send(.GET, "/api/parties", token: table.outsider.token).decode(
                Page<PartieResponse>.self)
            #expect(list.items.isEmpty)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func rotatingTheInvitationRetiresTheOldCode(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let old = try #require(table.partie.inviteCode)
            let byPlayer = try await api.send(
                .POST, "/api/parties/\(table.partie.id)/invite/rotate", token: table.player.token)
            #expect(byPlayer.status == .forbidden)
            let rotated = try await api.send(
                .POST, "/api/parties/\(table.partie.id)/invite/rotate", token: table.mj.token
            )
            .decode(PartieResponse.self)
            let new = try #require(rotated.inviteCode)
            #expect(new != old)
            #expect(
                try await api.send(.POST, "/api/parties/join", token: table.outsider.token, json: ["invite_code": old])
                    .status == .notFound)
            #expect(
                try await api.send(.POST, "/api/parties/join", token: table.outsider.token, json: ["invite_code": new])
                    .status == .ok)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func invitationQRCodeDecodesToTheJoinURL(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            #expect(
                try await api.send(.GET, "/api/parties/\(table.partie.id)/invite.svg", token: table.player.token).status
                    == .forbidden)
            let svg = try await api.send(.GET, "/api/parties/\(table.partie.id)/invite.svg", token: table.mj.token)
            #expect(svg.status == .ok)
            #expect(svg.headers.contentType?.subType == "svg+xml")
            let decoded = try QRDecoder.decode(svg: svg.body)
            #expect(decoded == table.partie.inviteUrl)
        }
    }
}

/// Decodes a QR code with real tools: librsvg renders the SVG, zbar reads the picture.
enum QRDecoder {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func decode(svg: Data) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let svgFile = folder.appendingPathComponent("code.svg")
        let pngFile = folder.appendingPathComponent("code.png")
        try svg.write(to: svgFile)
        _ = try run("/usr/bin/rsvg-convert", ["-o", pngFile.path, svgFile.path])
        return try run("/usr/bin/zbarimg", ["--quiet", "--raw", pngFile.path])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func run(_ tool: String, _ arguments: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw Failure(description: "\(tool) is missing: the test command installs it (librsvg2-bin, zbar-tools)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(tool) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
