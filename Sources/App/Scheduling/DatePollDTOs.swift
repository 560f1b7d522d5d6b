import EtrangeDomain
import Foundation
import Vapor

/// `POST /api/parties/{id}/polls`: what the session will be, and when it could be.
struct CreatePollRequest: Content {
    var name: String
    var description: String?
    var maxPlayers: Int?
    var allowLateJoin: Bool?
    var slots: [Date]
}

/// `PUT /api/polls/{id}/answers`: the caller's answers, for some or all of the slots.
struct PollAnswersRequest: Content {
    struct Item: Content {
        var slotId: UUID
        var answer: Availability
    }
    var answers: [Item]
}

/// `POST /api/polls/{id}/close`.
struct ClosePollRequest: Content {
    var slotId: UUID
}

/// A poll as its partie's members see it: the slots with their counts, and the whole grid.
struct PollResponse: Content {
    struct Slot: Content {
        let id: UUID
        let startsAt: Date
        let yes: Int
        let maybe: Int
        let no: Int
    }

    struct Answer: Content {
        let userId: Int
        let slotId: UUID
        let answer: Availability
    }

    let id: UUID
    let partieId: Int
    let name: String
    let description: String?
    let maxPlayers: Int
    let allowLateJoin: Bool
    let status: PollStatus
    let createdAt: Date
    let closedAt: Date?
    let chosenSlotId: UUID?
    /// The session the poll became, once closed.
    let sessionId: UUID?
    let slots: [Slot]
    /// The grid's rows: every member of the partie, the MJ included, in the order they joined.
    let members: [MemberRef]
    let answers: [Answer]
    let isMj: Bool

    /// Nullable fields are written as null rather than left out.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(partieId, forKey: .partieId)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(maxPlayers, forKey: .maxPlayers)
        try c.encode(allowLateJoin, forKey: .allowLateJoin)
        try c.encode(status, forKey: .status)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(closedAt, forKey: .closedAt)
        try c.encode(chosenSlotId, forKey: .chosenSlotId)
        try c.encode(sessionId, forKey: .sessionId)
        try c.encode(slots, forKey: .slots)
        try c.encode(members, forKey: .members)
        try c.encode(answers, forKey: .answers)
        try c.encode(isMj, forKey: .isMj)
    }

    enum CodingKeys: String, CodingKey {
        case id, partieId, name, description, maxPlayers, allowLateJoin, status, createdAt, closedAt
        case chosenSlotId, sessionId, slots, members, answers, isMj
    }
}
