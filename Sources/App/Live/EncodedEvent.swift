import EtrangeDomain
import Foundation
import NIOCore
import SQLKit

/// An event as it leaves the server: its JSON encoded once, shared by every socket.
struct EncodedEvent: Sendable {
    let seq: Int
    let type: String
    let visibility: EventVisibility
    let recipientID: Int?
    /// The frame's bytes, copied once: every socket writes this same buffer, where a text would be
    /// copied into a buffer of its own for each.
    let frame: ByteBuffer
    /// What the hub acts on, read from the data of the few events it acts on: a `session.status`
    /// event's status, a `participant.left` event's person.
    let status: SessionStatus?
    let leaverID: Int?
    /// Those whose rights in the session changed (`partie.transferred`: the old and the new MJ):
    /// their sockets close so that they reconnect with the rights they now have.
    let reconnecting: [Int]
    /// Who besides the MJ and `recipientID` receives an event of visibility `mj` (`EventAudience`).
    var audience: Set<Int> = []

    private struct StatusData: Decodable { let status: SessionStatus }
    private struct PersonData: Decodable { let userId: Int }
    private struct TransferData: Decodable {
        let mjId: Int
        let previousMjId: Int
    }

    /// A row of the journal, read without a Fluent model: the hub reads one per event and instance.
    init(row: any SQLRow) throws {
        seq = try row.decode(column: "seq", as: Int.self)
        type = try row.decode(column: "type", as: String.self)
        visibility = EventVisibility(rawValue: try row.decode(column: "visibility", as: String.self)) ?? .mj
        recipientID = try row.decode(column: "recipient_id", as: Int?.self)
        let at = try row.decode(column: "at", as: Date.self)
        let data = try row.decode(column: "data", as: String.self)
        frame = ByteBuffer(
            string: #"{"at":"\#(JSONCoding.format(at))","data":\#(data),"seq":\#(seq),"type":"\#(type)"}"#)
        switch LiveEventType(rawValue: type) {
        case .sessionStatus:
            // Unreadable, it changes nothing: a throw here would stall the session's delivery.
            status = try? JSONCoding.decoder.decode(StatusData.self, from: Data(data.utf8)).status
            leaverID = nil
            reconnecting = []
        case .participantLeft:
            status = nil
            leaverID = try? JSONCoding.decoder.decode(PersonData.self, from: Data(data.utf8)).userId
            reconnecting = []
        case .partieTransferred:
            status = nil
            leaverID = nil
            let transfer = try? JSONCoding.decoder.decode(TransferData.self, from: Data(data.utf8))
            reconnecting = transfer.map { [$0.previousMjId, $0.mjId] } ?? []
        default:
            status = nil
            leaverID = nil
            reconnecting = []
        }
    }
}
