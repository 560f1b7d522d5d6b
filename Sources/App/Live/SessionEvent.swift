import Fluent
import Foundation

/// Who receives an event: everyone in the session, or only the MJ and one person (the drawer of
/// a secret draw).
enum EventVisibility: String, Codable, Sendable {
    case all, mj
}

final class SessionEvent: Model, @unchecked Sendable {
    static let schema = "session_events"

    @ID(key: .id) var id: UUID?
    @Parent(key: "session_id") var session: Session
    @Field(key: "seq") var seq: Int
    @Field(key: "type") var type: String
    @Field(key: "at") var at: Date
    /// The event's `data` object, as JSON text, encoded once when the event happens.
    @Field(key: "data") var data: String
    @Enum(key: "visibility") var visibility: EventVisibility
    @OptionalField(key: "recipient_id") var recipientID: Int?

    init() {}
}
