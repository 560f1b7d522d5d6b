import FluentKit
import Foundation
import Testing

@testable import App

/// The migration list is written by hand as features land, sometimes by several people at once:
/// each migration runs once, and in the order of the numbered folders that hold them.
@Suite struct MigrationListTests {
    /// The folder number of every migration type, read from Sources/App/Migrations/0NN/.
    private func folders() throws -> [String: Int] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/App/Migrations")
        var numbers: [String: Int] = [:]
        for folder in try FileManager.default.contentsOfDirectory(atPath: root.path) {
            guard let number = Int(folder) else { continue }
            let directory = root.appendingPathComponent(folder)
            for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
                let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") where line.contains(": AsyncMigration") {
                    let name = line.split(separator: " ")[1].trimmingCharacters(in: CharacterSet(charactersIn: ":"))
                    numbers[name] = number
                }
            }
        }
        return numbers
    }

    @Test func eachMigrationOnceInTheOrderOfItsFolder() throws {
        let numbers = try folders()
        let listed = Migrations.all.map { String(describing: type(of: $0)) }
        #expect(
            Set(listed).count == listed.count,
            "listed twice: \(listed.filter { n in listed.filter { $0 == n }.count > 1 })")
        #expect(Set(listed) == Set(numbers.keys), "in a folder but not listed, or listed but in no folder")
        let order = listed.compactMap { numbers[$0] }
        #expect(order == order.sorted(), "not in the folders' order: \(zip(listed, order).map { "\($0) \($1)" })")
    }
}
