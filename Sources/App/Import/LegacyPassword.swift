import Fluent
import SQLKit
import Vapor

/// The mobile app's passwords, as `etrange import-app` keeps them: the app stored SHA-256 of the
/// password, unsalted, in hexadecimal (expo-crypto's `digestStringAsync`); the server stores bcrypt
/// of that digest, so that no weak hash is kept, and the first login that proves the password
/// replaces it with bcrypt of the password itself. No one has to choose a new password.
enum LegacyPassword {
    /// What the app stored for `password`.
    static func digest(_ password: String) -> String {
        SHA256.hash(data: Data(password.utf8)).hex
    }

    /// What a login checks against the stored hash: the app's digest while the account is marked.
    static func candidate(_ password: String, for user: User?) -> String {
        user?.legacySHA256 == true ? digest(password) : password
    }

    /// After a login proved `password` on a marked account: the password hashed by itself, the mark
    /// cleared, in one conditional write. Of two first logins at once, one replaces the hash and
    /// the other finds the row already replaced and leaves it; both have proved the password. A
    /// password bcrypt cannot read whole (over 72 bytes) stays as it is, still marked.
    static func upgrade(_ user: User, password: String, on req: Request) async throws {
        try await upgrade(user, password: password, hashing: req.application.passwordHashing, on: req.db, at: req.now)
    }

    /// `user` as the login read it, which may be before another login's upgrade.
    static func upgrade(
        _ user: User, password: String, hashing: PasswordHashing, on db: any Database, at now: Date
    ) async throws {
        guard user.legacySHA256, password.utf8.count <= 72, let id = user.id else { return }
        let hash = try await hashing.hash(password, .interactive)
        // Only if no other login upgraded it meanwhile.
        try await User.newPasswordHash(hash, for: id, at: now, on: db)
            .where("legacy_sha256", .equal, SQLBind(true))
            .where("password_hash", .equal, SQLBind(user.passwordHash))
            .run()
    }
}
