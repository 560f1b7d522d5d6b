import Foundation
import Vapor

struct CreateScenarioRequest: Content {
    var title: String
    var description: String?
}

struct ScenarioResponse: Content {
    let id: Int
    let title: String
    let description: String?
    let createdAt: Date

    init(_ scenario: Scenario) throws {
        id = try scenario.requireID()
        title = scenario.title
        description = scenario.description
        createdAt = scenario.createdAt
    }
}

struct CreatePartieRequest: Content {
    var name: String
    var scenarioId: Int?
    var sessionLengthMinutes: Int?
}

/// `PUT /api/parties/{id}`: what is sent changes, what is absent stays.
struct UpdatePartieRequest: Content {
    var name: String?
    var reminderOffsetsMinutes: [Int]?
    var sessionLengthMinutes: Int?
    var membersMayObserve: Bool?
}

struct JoinPartieRequest: Content {
    var inviteCode: String
}

/// `GET /api/invitations/{code}`: whose table a code opens, for someone not signed in yet.
struct InvitationPreviewResponse: Content {
    let partieName: String
    /// The MJ's display name, or their username when they chose none.
    let mjName: String
}

/// The caller's place in a partie.
enum PartieRole: String, Codable, Sendable {
    case mj, player
}

struct PartieResponse: Content {
    let id: Int
    let name: String
    let scenarioId: Int?
    let scenarioTitle: String?
    let mjId: Int
    let mj: UserSummary
    let role: PartieRole
    /// Only the MJ sees the invitation code: it is theirs to share and rotate.
    let inviteCode: String?
    let inviteUrl: String?
    /// Minutes before each scheduled session when its `session.reminder` goes out, the longest first.
    let reminderOffsetsMinutes: [Int]
    let memberCount: Int
    let sessionLengthMinutes: Int
    let membersMayObserve: Bool
    let createdAt: Date
    let updatedAt: Date
}

struct MemberResponse: Content {
    let userId: Int
    let username: String
    let displayName: String?
    let role: PartieRole
    let joinedAt: Date
}
