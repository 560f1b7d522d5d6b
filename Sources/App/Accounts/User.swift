import EtrangeDomain
import Fluent
import Foundation
import SQLKit

final class User: Model, @unchecked Sendable {
    static let schema = "users"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "username") var username: String
    /// The username folded for comparison, so that « Armand » and « armand » are one account.
    @Field(key: "username_key") var usernameKey: String
    /// The look of the username (`Username.skeleton`), unique so that no account passes for another.
    @Field(key: "username_skeleton") var usernameSkeleton: String
    @Field(key: "password_hash") var passwordHash: String
    /// The hash is bcrypt of the mobile app's unsalted SHA-256 of the password (`etrange
    /// import-app`), until the first login re-hashes the password itself (`LegacyPassword`).
    @Field(key: "legacy_sha256") var legacySHA256: Bool
    @OptionalField(key: "display_name") var displayName: String?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    init(username: String, passwordHash: String, displayName: String?, now: Date) {
        self.username = username
        self.usernameKey = User.key(for: username)
        self.usernameSkeleton = Username.skeleton(username)
        self.passwordHash = passwordHash
        self.legacySHA256 = false
        self.displayName = displayName
        self.createdAt = now
        self.updatedAt = now
    }

    static func key(for username: String) -> String {
        username.folding(options: [.caseInsensitive, .widthInsensitive], locale: nil).lowercased()
    }

    /// What a new password writes on account `id`: its hash, bcrypt of the password itself and no
    /// longer of the app's digest (`legacySHA256`). The caller may add conditions, then runs it.
    static func newPasswordHash(_ hash: String, for id: Int, at now: Date, on db: any Database) -> SQLUpdateBuilder {
        db.sql.update(schema)
            .set("password_hash", to: SQLBind(hash))
            .set("legacy_sha256", to: SQLBind(false))
            .set("updated_at", to: SQLBind(now))
            .where("id", .equal, id)
    }

    /// The name other people see: the display name when there is one.
    var shownName: String { displayName ?? username }
}
