import FluentKit
import Foundation
import Testing

@testable import App

/// `Database.sql`, the one way to SQLKit: on a driver that is not an SQL one it stops with the
/// driver's name, where a force cast said only that a cast failed.
@Suite struct DatabaseAccessTests {
    @Test func sqlOnANonSQLDriverNamesIt() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = NotSQL().sql
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("NotSQL n'est pas une base SQL"), "\(message)")
    }

    /// A database no SQL statement can reach; `sql` touches none of it.
    struct NotSQL: Database {
        var context: DatabaseContext { fatalError("unused") }
        var inTransaction: Bool { false }
        func execute(query: DatabaseQuery, onOutput: @escaping @Sendable (any DatabaseOutput) -> Void)
            -> EventLoopFuture<Void>
        { fatalError("unused") }
        func execute(schema: DatabaseSchema) -> EventLoopFuture<Void> { fatalError("unused") }
        func execute(enum: DatabaseEnum) -> EventLoopFuture<Void> { fatalError("unused") }
        func transaction<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
            fatalError("unused")
        }
        func withConnection<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<
            T
        > { fatalError("unused") }
    }
}
