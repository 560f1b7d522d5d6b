import EtrangeDomain
import Fluent
import Foundation
import SQLKit

/// The MJ's question « quand jouons-nous ? »: slots for a next session, and the session it
/// becomes once closed on one of them.
final class DatePoll: Model, @unchecked Sendable {
    static let schema = "date_polls"

    @ID(key: .id) var id: UUID?
    @Parent(key: "partie_id") var partie: Partie
    @Field(key: "name") var name: String
    @OptionalField(key: "description") var description: String?
    @Field(key: "max_players") var maxPlayers: Int
    @Field(key: "allow_late_join") var allowLateJoin: Bool
    @Enum(key: "status") var status: PollStatus
    @OptionalField(key: "chosen_slot_id") var chosenSlotID: UUID?
    @OptionalField(key: "session_id") var sessionID: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    @OptionalField(key: "closed_at") var closedAt: Date?

    init() {}
}

extension DatePoll: PartieOwned {
    var partieID: Int { $partie.id }
    static let notFound = AppError.notFound("Sondage introuvable.")
    static let onlyTheMJ = AppError.forbidden("Seul le MJ de la partie peut gérer ses sondages de dates.")
}

final class DatePollSlot: Model, @unchecked Sendable {
    static let schema = "date_poll_slots"

    @ID(key: .id) var id: UUID?
    @Parent(key: "poll_id") var poll: DatePoll
    @Field(key: "starts_at") var startsAt: Date

    init() {}

    init(pollID: UUID, startsAt: Date) {
        self.$poll.id = pollID
        self.startsAt = startsAt
    }
}

/// One member's answer to one slot.
final class DatePollAnswer: Model, @unchecked Sendable {
    static let schema = "date_poll_answers"

    @ID(key: .id) var id: UUID?
    @Parent(key: "poll_id") var poll: DatePoll
    @Parent(key: "slot_id") var slot: DatePollSlot
    @Parent(key: "user_id") var user: User
    @Enum(key: "answer") var answer: Availability
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

extension DatePoll {
    /// Locks the poll's row for the rest of the transaction, as a write (so SQLite takes its writer
    /// lock at once), and reads its state: answers, closing and cancelling each start here, so
    /// none of them sees a state another is about to change. Nil if the poll is gone.
    static func lock(_ id: UUID, on db: any Database) async throws -> PollStatus? {
        guard
            let row = try await db.sql.update(schema)
                .set(SQLIdentifier("updated_at"), to: SQLIdentifier("updated_at"))
                .where("id", .equal, id)
                .returning("status")
                .first()
        else { return nil }
        return PollStatus(rawValue: try row.decode(column: "status", as: String.self))
    }

    /// One answer per member and slot, whatever two tabs send at once.
    static func upsertAnswer(
        pollID: UUID, slotID: UUID, userID: Int, answer: Availability, at now: Date, on db: any Database
    ) async throws {
        try await db.sql.insert(into: DatePollAnswer.schema)
            .columns("id", "poll_id", "slot_id", "user_id", "answer", "updated_at")
            .values(
                SQLBind(UUID()), SQLBind(pollID), SQLBind(slotID), SQLBind(userID), SQLBind(answer.rawValue),
                SQLBind(now)
            )
            .onConflict(with: ["slot_id", "user_id"]) { update in
                update.set(excludedValueOf: "answer").set(excludedValueOf: "updated_at")
            }
            .run()
    }
}
