import Foundation

/// Control messages of the channel, outside the numbered events.
enum LiveMessages {
    static func lagging(lastDelivered: Int) -> String {
        #"{"type":"stream.lagging","data":{"reason":"Connexion trop lente : reconnectez-vous avec since=\#(lastDelivered).","since":\#(lastDelivered)}}"#
    }

    static func resync(oldest: Int) -> String {
        #"{"type":"stream.resync","data":{"reason":"Des événements trop anciens ne sont plus gardés : rechargez la session.","oldest_seq":\#(oldest)}}"#
    }

    static func closing(_ reason: String) -> String {
        #"{"type":"stream.closed","data":{"reason":"\#(reason)"}}"#
    }

    /// The connection gave way to a newer one of the same person (`LiveHub.admit`): a client
    /// should not reconnect on its own, or its devices would keep closing one another.
    static let replaced =
        #"{"type":"stream.replaced","data":{"reason":"Trop de connexions ouvertes au direct : celle-ci, la plus ancienne, est fermée."}}"#

    /// The session no longer exists: its journal went with it, so this is no numbered event.
    static func deleted(_ sessionID: UUID) -> String {
        #"{"type":"session.deleted","data":{"reason":"La session a été supprimée.","session_id":"\#(sessionID.uuidString)"}}"#
    }
}
