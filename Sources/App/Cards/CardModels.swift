import EtrangeDomain
import Fluent
import Foundation

enum DrawVisibility: String, Codable, Sendable, CaseIterable {
    case `public`, mj
}

/// One test drawn by the server, with its whole result.
final class SessionDraw: Model, @unchecked Sendable {
    static let schema = "session_draws"

    @ID(key: .id) var id: UUID?
    @Parent(key: "session_id") var session: Session
    @Parent(key: "user_id") var user: User
    @OptionalParent(key: "character_id") var character: Character?
    @Enum(key: "mode") var mode: DrawMode
    @Enum(key: "visibility") var visibility: DrawVisibility
    @OptionalField(key: "reason") var reason: String?
    @Field(key: "result") var result: String
    @Field(key: "total") var total: Int
    @Field(key: "created_at") var createdAt: Date

    init() {}

    func testResult() throws -> TestResult {
        try JSONDecoder().decode(TestResult.self, from: Data(result.utf8))
    }
}
