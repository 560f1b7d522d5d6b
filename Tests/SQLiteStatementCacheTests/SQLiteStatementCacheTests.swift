import Foundation
import NIOCore
import NIOPosix
import SQLiteKit
import SQLiteStatementCache
import Testing

/// The cache on its own, without the application: it opens lazily, compiles a statement once per
/// connection and reuses it with other values, reads what SQLiteKit reads, never writes, and
/// leaves no file open once closed.
@Suite struct SQLiteStatementCacheTests {
    static let select =
        "SELECT id, name, score, data, missing FROM people WHERE id >= $1 ORDER BY id LIMIT CAST($2 AS INTEGER)"

    /// A file with a few rows, written through SQLiteNIO, and a started pool of `threads`.
    struct Fixture {
        let path: String
        let pool: NIOThreadPool

        init(threads: Int) async throws {
            path =
                FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID().uuidString).sqlite").path
            pool = NIOThreadPool(numberOfThreads: threads)
            pool.start()
            let connection = try await SQLiteConnection.open(
                storage: .file(path: path), threadPool: pool,
                on: MultiThreadedEventLoopGroup.singleton.any())
            for statement in [
                "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, data BLOB, missing TEXT)",
                "INSERT INTO people (id, name, score, data) VALUES (1, 'Armand « é »', 1.5, X'00FF'), (2, 'Célestine', NULL, NULL), (3, 'Odile', 3, NULL)",
            ] {
                try await connection.query(statement, []) { _ in }
            }
            try await connection.close()
        }

        func openFiles() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap {
                try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")
            }.filter { $0.hasPrefix(path) }
        }

        func tearDown() async throws {
            try await pool.shutdownGracefully()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
    }

    var loop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }

    @Test func readsBoundValuesAsSQLiteKitDecodesThem() async throws {
        let fixture = try await Fixture(threads: 1)
        let cache = SQLiteStatementCache(path: fixture.path, threadPool: fixture.pool)
        #expect(try fixture.openFiles().isEmpty, "opened before its first read")
        let rows = try await cache.all(sql: Self.select, binds: [1, 2], on: loop)
        #expect(rows.count == 2)
        #expect(rows[0].allColumns == ["id", "name", "score", "data", "missing"])
        #expect(try rows[0].decode(column: "id", as: Int.self) == 1)
        #expect(try rows[0].decode(column: "name", as: String.self) == "Armand « é »")
        #expect(try rows[0].decode(column: "score", as: Double.self) == 1.5)
        #expect(try rows[0].decode(column: "data", as: Data.self) == Data([0x00, 0xFF]))
        #expect(try rows[0].decodeNil(column: "missing"))
        #expect(try rows[1].decode(column: "score", as: Double?.self) == nil)
        #expect(!rows[0].contains(column: "absent"))
        #expect(throws: DecodingError.self) { try rows[0].decode(column: "absent", as: String.self) }
        let text = try await cache.all(sql: "SELECT id FROM people WHERE name = $1", binds: ["Célestine"], on: loop)
        #expect(try text.map { try $0.decode(column: "id", as: Int.self) } == [2])
        cache.close()
        try await fixture.tearDown()
    }

    @Test func compilesAStatementOnceAndReusesItWithOtherValues() async throws {
        let fixture = try await Fixture(threads: 1)
        let cache = SQLiteStatementCache(path: fixture.path, threadPool: fixture.pool)
        for (from, limit, expected) in [(1, 3, [1, 2, 3]), (2, 1, [2]), (3, 5, [3]), (1, 1, [1])] {
            let rows = try await cache.all(sql: Self.select, binds: [from, limit], on: loop)
            #expect(try rows.map { try $0.decode(column: "id", as: Int.self) } == expected)
        }
        #expect(cache.compilations == 1)
        _ = try await cache.all(sql: "SELECT COUNT(*) AS n FROM people", binds: [], on: loop)
        #expect(cache.compilations == 2)
        cache.close()
        try await fixture.tearDown()
    }

    /// As many connections as the pool has threads, never more: a statement compiles once on each
    /// at most, however many reads run at once.
    @Test func opensOneConnectionPerThreadOfItsPool() async throws {
        let fixture = try await Fixture(threads: 3)
        let cache = SQLiteStatementCache(path: fixture.path, threadPool: fixture.pool)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 1...60 {
                group.addTask { try await cache.all(sql: Self.select, binds: [1, 3], on: loop).count }
            }
            for try await count in group { #expect(count == 3) }
        }
        #expect((1...3).contains(cache.compilations), "\(cache.compilations)")
        let open = try fixture.openFiles()
        #expect((1...3).contains(open.count), "\(open)")
        cache.close()
        try await fixture.tearDown()
    }

    @Test func neverWrites() async throws {
        let fixture = try await Fixture(threads: 1)
        let cache = SQLiteStatementCache(path: fixture.path, threadPool: fixture.pool)
        await #expect(throws: SQLiteStatementError.self) {
            try await cache.all(sql: "DELETE FROM people WHERE id = $1", binds: [1], on: loop)
        }
        await #expect(throws: SQLiteStatementError.self) {
            try await cache.all(sql: "SELECT nothing FROM nowhere", binds: [], on: loop)
        }
        #expect(try await cache.all(sql: "SELECT id FROM people", binds: [], on: loop).count == 3)
        cache.close()
        try await fixture.tearDown()
    }

    @Test func closingLeavesNoFileOpenAndRefusesLaterReads() async throws {
        let fixture = try await Fixture(threads: 2)
        let cache = SQLiteStatementCache(path: fixture.path, threadPool: fixture.pool)
        _ = try await cache.all(sql: Self.select, binds: [1, 3], on: loop)
        #expect(try !fixture.openFiles().isEmpty)
        cache.close()
        let open = try fixture.openFiles()
        #expect(open.isEmpty, "\(open)")
        await #expect(throws: SQLiteStatementError.self) {
            try await cache.all(sql: Self.select, binds: [1, 3], on: loop)
        }
        try await fixture.tearDown()
    }

    /// The group commit's connection: it writes, checks foreign keys as SQLiteKit's connections do,
    /// commits with the durability it is given, and keeps each statement compiled once.
    @Test func aWritingConnectionWritesWithTheWritersSettings() async throws {
        let fixture = try await Fixture(threads: 1)
        let writer = SQLiteCompiledConnection(path: fixture.path, role: .writer(fullSync: true))
        try writer.execute("CREATE TABLE scores (person_id INTEGER NOT NULL REFERENCES people (id), points INTEGER)")
        let insert = "INSERT INTO scores (person_id, points) VALUES ($1, $2) RETURNING points"
        for points in 1...3 {
            try writer.execute("BEGIN IMMEDIATE")
            #expect(try writer.all(insert, [1, points]).first?.decode(column: "points", as: Int.self) == points)
            try writer.execute("COMMIT")
        }
        #expect(throws: SQLiteStatementError.self, "a person who does not exist") { try writer.all(insert, [99, 0]) }
        #expect(writer.compilations == 4, "CREATE, BEGIN, the insert and COMMIT, once each")
        #expect(try writer.all("PRAGMA synchronous", []).first?.decode(column: "synchronous", as: Int.self) == 2)
        let cache = SQLiteStatementCache(path: fixture.path, threadPool: fixture.pool)
        #expect(
            try await cache.all(sql: "SELECT COUNT(*) AS n FROM scores", binds: [], on: loop).first?.decode(
                column: "n", as: Int.self) == 3)
        writer.close()
        cache.close()
        #expect(try fixture.openFiles().isEmpty)
        try await fixture.tearDown()
    }
}
