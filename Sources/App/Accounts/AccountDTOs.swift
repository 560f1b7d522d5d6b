import Foundation
import Vapor

struct RegisterRequest: Content {
    var username: String
    var password: String
    var displayName: String?
}

/// `PUT /api/me`: the display name, the only thing of an account its owner edits besides the
/// password (which has its own endpoint, as it revokes tokens).
struct UpdateMeRequest: Content {
    var displayName: String?
}

struct LoginRequest: Content {
    var username: String
    var password: String
}

struct UserResponse: Content {
    let id: Int
    let username: String
    let displayName: String?
    let createdAt: Date

    init(_ user: User) throws {
        id = try user.requireID()
        username = user.username
        displayName = user.displayName
        createdAt = user.createdAt
    }
}

struct AuthResponse: Content {
    let token: String
    let expiresAt: Date
    let user: UserResponse
}

/// A person as others see them in lists.
struct UserSummary: Content {
    let id: Int
    let username: String
    let displayName: String?

    init(_ user: User) throws {
        id = try user.requireID()
        username = user.username
        displayName = user.displayName
    }
}

struct ChangePasswordRequest: Content {
    var currentPassword: String
    var newPassword: String
}
