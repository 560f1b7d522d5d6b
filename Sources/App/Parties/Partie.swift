import EtrangeDomain
import Fluent
import Foundation

/// One game of a scenario, with its MJ and its players.
final class Partie: Model, @unchecked Sendable {
    static let schema = "parties"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @OptionalParent(key: "scenario_id") var scenario: Scenario?
    @Parent(key: "mj_id") var mj: User
    @Field(key: "name") var name: String
    @Field(key: "invite_code") var inviteCode: String
    /// The UUID of the mobile app's QR code for an imported partie (`etrange import-app`), which
    /// joins it as its invitation code does.
    @OptionalField(key: "legacy_invite") var legacyInvite: UUID?
    /// The usual length of an evening, which calendar events last.
    @Field(key: "session_length_minutes") var sessionLengthMinutes: Int
    /// Minutes before each scheduled session when its reminders go out, comma-separated, the
    /// longest first; empty for none.
    @Field(key: "reminder_offsets_minutes") var reminderOffsets: String
    /// Whether members may sit in on a session as observers by themselves, not only when the MJ seats them.
    @Field(key: "members_may_observe") var membersMayObserve: Bool
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    static let defaultSessionLength = 240
    static let sessionLengths = 15...1440

    init() {}

    init(name: String, scenarioID: Int?, mjID: Int, inviteCode: String, now: Date) {
        self.name = name
        self.$scenario.id = scenarioID
        self.$mj.id = mjID
        self.inviteCode = inviteCode
        self.sessionLengthMinutes = Partie.defaultSessionLength
        self.reminderOffsetList = ReminderOffsets.defaults
        self.membersMayObserve = false
        self.createdAt = now
        self.updatedAt = now
    }
}

extension Partie {
    var reminderOffsetList: [Int] {
        get { ReminderOffsets.read(stored: reminderOffsets) }
        set { reminderOffsets = ReminderOffsets.stored(newValue) }
    }
}

/// Membership of a partie. The MJ is a member too, so "may see this partie" is one lookup.
final class PartieMember: Model, @unchecked Sendable {
    static let schema = "partie_members"

    @ID(key: .id) var id: UUID?
    @Parent(key: "partie_id") var partie: Partie
    @Parent(key: "user_id") var user: User
    @Field(key: "joined_at") var joinedAt: Date

    init() {}

    init(partieID: Int, userID: Int, now: Date) {
        self.$partie.id = partieID
        self.$user.id = userID
        self.joinedAt = now
    }
}
