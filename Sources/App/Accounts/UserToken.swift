import Crypto
import Fluent
import Foundation

/// A bearer token. Only its SHA-256 digest is stored, so a copy of the database opens no account.
final class UserToken: Model, @unchecked Sendable {
    static let schema = "user_tokens"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "expires_at") var expiresAt: Date

    init() {}

    init(userID: Int, tokenHash: String, createdAt: Date, expiresAt: Date) {
        self.$user.id = userID
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// A new random token: its clear value for the client, its digest for the database.
    static func generate() -> (value: String, hash: String) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let value = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return (value, digest(value))
    }

    static func digest(_ value: String) -> String {
        SHA256.hash(data: Data(value.utf8)).hex
    }
}
