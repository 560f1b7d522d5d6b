import Fluent
import Foundation

final class Character: Model, @unchecked Sendable {
    static let schema = "characters"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @OptionalParent(key: "partie_id") var partie: Partie?
    @Field(key: "name") var name: String
    /// The character's own suit, whose J, Q and K make its pot.
    @OptionalField(key: "figure") var figure: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(name: String, userID: Int, partieID: Int?, now: Date) {
        self.name = name
        self.$user.id = userID
        self.$partie.id = partieID
        self.createdAt = now
    }
}
