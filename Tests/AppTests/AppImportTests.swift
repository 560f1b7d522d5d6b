import EtrangeDomain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// `etrange import-app` on Tests/fixtures/app-export, a dump in the mobile app's format: three
/// accounts (johan, armand, Élise), a scenario, parties 7 and 8 with their QR codes, two
/// characters with skills, a capacity, effects and decks, three sessions and their places.
@Suite struct AppImportTests {
    static var fixtures: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/app-export").path
    }

    static let armandCharacter = UUID(uuidString: "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f")!
    static let qrCode = "3f2b8c1e-9d4a-4e7b-a6c5-1b2c3d4e5f60"
    static let tables = [
        "users", "scenarios", "parties", "partie_members", "characters", "sessions", "session_participants",
    ]

    @discardableResult
    static func load(_ api: TestAPI, _ folder: String = fixtures) async throws -> AppImport.Counts {
        try await ImportAppCommand.perform(folder, on: api.app).0
    }

    static func rowCounts(_ api: TestAPI) async throws -> [String: Int] {
        struct Count: Decodable { let count: Int }
        var counts: [String: Int] = [:]
        for table in tables {
            counts[table] = try await api.db.sql.select().column(
                SQLFunction("COUNT", args: SQLLiteral.all), as: "count"
            )
            .from(table).first(decoding: Count.self)?.count
        }
        return counts
    }

    /// Accounts, parties, characters and sessions keep the app's ids (a UUID derived from table
    /// and id where the app had an integer and this server keys by UUID); what is made afterwards
    /// gets the next ids, on PostgreSQL too.
    @Test(arguments: TestDatabase.enabled)
    func theAppsIdsAreKept(db: TestDatabase) async throws {
        try await withApp(db) { api in
            try await Self.load(api)
            let armand = try await api.login("armand", "secret-armand")
            try #require(armand.status == .ok, "\(armand.status) \(armand.reason)")
            let auth = try armand.decode(AuthResponse.self)
            #expect(auth.user.id == 2)

            let character = try await api.send(.GET, "/api/characters/\(Self.armandCharacter)", token: auth.token)
            try #require(character.status == .ok, "\(character.reason)")
            let sheet = try character.decode(CharacterResponse.self)
            #expect(sheet.partieId == 7 && sheet.figure == .hearts)
            #expect(sheet.sheet.skills == [SheetAbility(name: "Électronique", level: 2)])
            #expect(sheet.sheet.capacities.map(\.name) == ["Poigne de fer"])
            #expect(sheet.sheet.profession == SheetScore(name: "Électricien", score: 2))
            #expect(sheet.sheet.characteristics.first { $0.name == "Force" }?.value == 3)
            #expect(
                sheet.sheet.effects.map(\.target) == [
                    .characteristic("Force"), .skill("Électronique"), .capacity("Poigne de fer"),
                ])
            let deck = try await Character.find(Self.armandCharacter, on: api.db).map { try $0.deck }
            #expect(deck?.rows == [DeckRow.newCharacter(.hearts), DeckRow(suit: .spades, ranks: [.jack])])

            let parties = try await api.send(.GET, "/api/parties", token: auth.token).decode(Page<PartieResponse>.self)
            #expect(Set(parties.items.map(\.id)) == [7, 8])
            #expect(parties.items.first { $0.id == 7 }?.name == "Le Minitel hanté")

            let first = try #require(try await Session.find(AppIDs.uuid("sessions", 51), on: api.db))
            #expect(first.status == .completed && first.$partie.id == 7 && first.activeSeconds == 180 * 60)
            let second = try await Session.find(UUID(uuidString: "8d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a"), on: api.db)
            #expect(second?.status == .scheduled)
            // The app's « active » session comes in paused: nobody is at its table.
            #expect(try await Session.find(AppIDs.uuid("sessions", 53), on: api.db)?.status == .paused)
            // Two rows of armand's in session 51 are one place, its time the sum.
            let seats = try await SessionParticipant.query(on: api.db)
                .filter(\.$session.$id == AppIDs.uuid("sessions", 51)).all()
            #expect(seats.count == 3)
            #expect(seats.first { $0.$user.id == 2 }?.totalTimeMinutes == 155)
            #expect(seats.first { $0.$user.id == 3 }?.role == .observer)
            #expect(seats.allSatisfy { !$0.isActive })

            let newcomer = try await api.register("nouvelle")
            #expect(newcomer.id == 4)
            #expect(try await api.createPartie(newcomer).id == 9)
        }
    }

    /// The QR code the app printed still opens the partie: the invitation page's preview and
    /// joining take its UUID as they take a code, in either case.
    @Test(arguments: TestDatabase.enabled)
    func theAppsQRCodeJoinsItsPartie(db: TestDatabase) async throws {
        try await withApp(db) { api in
            try await Self.load(api)
            let preview = try await api.send(.GET, "/api/invitations/\(Self.qrCode)")
            try #require(preview.status == .ok, "\(preview.reason)")
            #expect(try preview.decode(InvitationPreviewResponse.self).partieName == "Le Minitel hanté")

            let oscar = try await api.register("oscar")
            let joined = try await api.send(
                .POST, "/api/parties/join", token: oscar.token, json: ["invite_code": Self.qrCode.uppercased()])
            try #require(joined.status == .ok, "\(joined.reason)")
            #expect(try joined.decode(PartieResponse.self).id == 7)
            #expect(try await Partie.isMember(7, userID: oscar.id, on: api.db))

            let unknown = try await api.send(
                .POST, "/api/parties/join", token: oscar.token, json: ["invite_code": UUID().uuidString])
            #expect(unknown.status == .notFound)
        }
    }

    /// The first good login verifies bcrypt of the app's SHA-256, then stores bcrypt of the
    /// password itself and clears the mark; a wrong password changes nothing.
    @Test(arguments: TestDatabase.enabled)
    func aLegacyPasswordLogsInOnceBySHA256ThenIsBcrypt(db: TestDatabase) async throws {
        try await withApp(db) { api in
            try await Self.load(api)
            let imported = try #require(try await User.find(1, on: api.db))
            #expect(imported.legacySHA256)
            #expect(try Bcrypt.verify(LegacyPassword.digest("motdepasse-johan"), created: imported.passwordHash))

            #expect(try await api.login("johan", "mauvais-mot").status == .unauthorized)
            let refused = try #require(try await User.find(1, on: api.db))
            #expect(refused.legacySHA256 && refused.passwordHash == imported.passwordHash)

            let first = try await api.login("johan", "motdepasse-johan")
            #expect(first.status == .ok, "\(first.reason)")
            let upgraded = try #require(try await User.find(1, on: api.db))
            #expect(!upgraded.legacySHA256)
            #expect(upgraded.passwordHash != imported.passwordHash)
            #expect(try Bcrypt.verify("motdepasse-johan", created: upgraded.passwordHash))
            #expect(try !Bcrypt.verify(LegacyPassword.digest("motdepasse-johan"), created: upgraded.passwordHash))
            #expect(try await api.login("johan", "motdepasse-johan").status == .ok)
            #expect(try await api.login("johan", LegacyPassword.digest("motdepasse-johan")).status == .unauthorized)

            // The app's digest was upper-case hex, the name has an accent: both read as the app meant.
            #expect(try await api.login("élise", "élise-1234").status == .ok)
        }
    }

    /// Several first logins at once all succeed, and one re-hash stays: the mark and the hash
    /// change together, so no login reads one without the other.
    @Test(arguments: TestDatabase.enabled)
    func firstLoginsAtOnceAllSucceed(db: TestDatabase) async throws {
        try await withApp(db) { api in
            try await Self.load(api)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for _ in 0..<6 { group.addTask { try await api.login("johan", "motdepasse-johan").status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: .ok, count: 6))
            let user = try #require(try await User.find(1, on: api.db))
            #expect(!user.legacySHA256)
            #expect(try Bcrypt.verify("motdepasse-johan", created: user.passwordHash))
            #expect(try await api.login("johan", "motdepasse-johan").status == .ok)
        }
    }

    /// The second of two first logins, having read the account before the first one's upgrade,
    /// leaves that upgrade as it is: the write is conditional on the hash it read.
    @Test(arguments: TestDatabase.enabled)
    func aLateUpgradeLeavesTheFirstOne(db: TestDatabase) async throws {
        try await withApp(db) { api in
            try await Self.load(api)
            let readByBoth = try #require(try await User.find(1, on: api.db))
            let hashing = api.app.passwordHashing
            try await LegacyPassword.upgrade(
                readByBoth, password: "motdepasse-johan", hashing: hashing, on: api.db, at: api.clock.now())
            let first = try #require(try await User.find(1, on: api.db)).passwordHash
            try await LegacyPassword.upgrade(
                readByBoth, password: "motdepasse-johan", hashing: hashing, on: api.db, at: api.clock.now())
            let after = try #require(try await User.find(1, on: api.db))
            #expect(after.passwordHash == first && !after.legacySHA256)
            #expect(try Bcrypt.verify("motdepasse-johan", created: after.passwordHash))
        }
    }

    /// A second run adds nothing and changes nothing, even after a login re-hashed a password.
    @Test(arguments: TestDatabase.enabled)
    func importingTwiceChangesNothing(db: TestDatabase) async throws {
        try await withApp(db) { api in
            let first = try await Self.load(api)
            #expect(first.added["users"] == 3 && first.added["characters"] == 2 && first.present.isEmpty)
            let counts = try await Self.rowCounts(api)
            #expect(counts["partie_members"] == 4 && counts["session_participants"] == 3)
            #expect(try await api.login("armand", "secret-armand").status == .ok)
            let hashes = try await User.query(on: api.db).sort(\.$id).all().map(\.passwordHash)

            let second = try await Self.load(api)
            #expect(second.added.isEmpty)
            #expect(second.present["users"] == 3 && second.present["session_participants"] == 3)
            #expect(try await Self.rowCounts(api) == counts)
            #expect(try await User.query(on: api.db).sort(\.$id).all().map(\.passwordHash) == hashes)
        }
    }

    /// The ways a dump breaks a rule: each one's row named by table and id.
    enum Broken: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case refusedUsername, danglingReference, clashingID, sameNameMadeHere, malformedValue

        var testDescription: String { rawValue }

        /// The line the refusal must contain.
        var named: String {
            switch self {
            case .refusedUsername: "users 2 : nom d'utilisateur « аrmand » refusé"
            case .danglingReference: "participants 12 : user_id 99 n'est aucun compte"
            case .clashingID: "users 1 : l'id 1 est déjà le compte « quelquun »"
            case .sameNameMadeHere: "users 1 : l'id 1 est déjà un compte « johan » créé ici"
            case .malformedValue: "desk 42 : figure « Joker »"
            }
        }

        /// Changes the copy of the fixtures in `folder`.
        func apply(to folder: URL) throws {
            func edit(_ table: String, _ id: Int, _ column: String, _ value: Any) throws {
                let file = folder.appendingPathComponent(table + ".json")
                var json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
                var records = try #require(json["records"] as? [[String: Any]])
                let index = try #require(records.firstIndex { $0["id"] as? Int == id })
                records[index][column] = value
                json["records"] = records
                try JSONSerialization.data(withJSONObject: json).write(to: file)
            }
            switch self {
            case .refusedUsername: try edit("users", 2, "login", "аrmand")  // a Cyrillic а
            case .danglingReference: try edit("participants", 12, "user_id", 99)
            case .clashingID, .sameNameMadeHere: break
            case .malformedValue: try edit("desk", 42, "figure", "Joker")
            }
        }
    }

    /// Any broken row refuses the whole dump: the line names it, and no table gains a row.
    @Test(arguments: TestDatabase.enabled, Broken.allCases)
    func aBrokenDumpIsRefusedWhole(db: TestDatabase, broken: Broken) async throws {
        try await withApp(db) { api in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("app-export-\(UUID())")
            try FileManager.default.copyItem(at: URL(fileURLWithPath: Self.fixtures), to: folder)
            defer { try? FileManager.default.removeItem(at: folder) }
            try broken.apply(to: folder)
            // Account 1 made here, under another name or under the same one.
            if broken == .clashingID { _ = try await api.register("quelquun") }
            if broken == .sameNameMadeHere { _ = try await api.register("johan") }
            let before = try await Self.rowCounts(api)

            let error = await #expect(throws: ImportRefused.self) { try await Self.load(api, folder.path) }
            let lines = error?.lines ?? []
            #expect(lines.contains { $0.contains(broken.named) }, "\(lines)")
            #expect(try await Self.rowCounts(api) == before)
            await #expect(throws: OperatorError.self) { _ = try await ImportAppCommand.load(folder.path, on: api.app) }
        }
    }
}
