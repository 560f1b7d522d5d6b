import Fluent
import Foundation
import SQLKit

/// `session_event_audience`: who, besides the MJ, receives an event of visibility `mj` — a
/// private chat line's author and recipients. Rows go with their event when the journal is pruned.
enum EventAudience {
    static let schema = "session_event_audience"

    /// Gives each event of visibility `mj` in `events` its audience. Only a batch that holds such
    /// an event pays the read, which every delivery of a session does once per instance.
    static func fill(_ events: inout [EncodedEvent], of sessionID: UUID, on db: any Database) async throws {
        let restricted = events.filter { $0.visibility == .mj }.map(\.seq)
        guard !restricted.isEmpty else { return }
        struct Row: Decodable {
            let seq: Int
            let userId: Int
        }
        let rows = try await db.sql.select()
            .column(SQLColumn("seq", table: "e")).column(SQLColumn("user_id", table: "a"))
            .from(SQLAlias(SQLIdentifier(schema), as: SQLIdentifier("a")))
            .join(
                SQLAlias(SQLIdentifier(SessionEvent.schema), as: SQLIdentifier("e")),
                on: SQLColumn("id", table: "e"), .equal, SQLColumn("event_id", table: "a")
            )
            .where(SQLColumn("session_id", table: "e"), .equal, SQLBind(sessionID))
            .where(SQLColumn("seq", table: "e"), .in, SQLBind.group(restricted))
            .all(decoding: Row.self, with: SQLRowDecoder(keyDecodingStrategy: .convertFromSnakeCase))
        let bySeq = Dictionary(grouping: rows, by: \.seq).mapValues { Set($0.map(\.userId)) }
        for index in events.indices where events[index].visibility == .mj {
            events[index].audience = bySeq[events[index].seq] ?? []
        }
    }
}
