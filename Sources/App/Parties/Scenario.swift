import Fluent
import Foundation

/// A scenario is a template that parties are played from.
final class Scenario: Model, @unchecked Sendable {
    static let schema = "scenarios"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "title") var title: String
    @OptionalField(key: "description") var description: String?
    @OptionalParent(key: "created_by") var creator: User?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(title: String, description: String?, creatorID: Int?, now: Date) {
        self.title = title
        self.description = description
        self.$creator.id = creatorID
        self.createdAt = now
    }
}
