import EtrangeDomain
import Foundation
import Vapor

/// `POST /api/parties/{id}/handouts`, as `multipart/form-data`.
struct UploadHandoutForm: Content {
    var title: String
    var caption: String?
    var file: File
}

/// `POST /api/handouts/{id}/show`: to the whole partie, or to chosen players.
struct ShowHandoutRequest: Content {
    var everyone: Bool?
    var userIds: [Int]?
}

struct HandoutResponse: Content {
    let id: UUID
    let partieId: Int
    let title: String
    let caption: String?
    let kind: HandoutKind
    let contentType: String
    let byteSize: Int
    let width: Int
    let height: Int
    let createdAt: Date
    let shownAt: Date?
    /// The MJ's choice, for the MJ only: a player is not told who else was shown a handout.
    let shownToEveryone: Bool?
    let shownTo: [Int]?
    let fileUrl: String

    init(_ handout: Handout, viewers: [Int]?) throws {
        let id = try handout.requireID()
        self.id = id
        partieId = handout.$partie.id
        title = handout.title
        caption = handout.caption
        kind = handout.kind
        contentType = handout.kind.contentType
        byteSize = handout.byteSize
        width = handout.width
        height = handout.height
        createdAt = handout.createdAt
        shownAt = handout.shownAt
        shownToEveryone = viewers == nil ? nil : handout.shownToEveryone
        shownTo = viewers?.sorted()
        fileUrl = "/api/handouts/\(id.uuidString)/file"
    }
}
