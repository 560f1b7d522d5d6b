import EtrangeDomain
import Fluent
import Foundation

/// A file an MJ hands out to their partie: a picture or a PDF, cleaned when it was uploaded.
final class Handout: Model, @unchecked Sendable {
    static let schema = "handouts"

    @ID(key: .id) var id: UUID?
    @Parent(key: "partie_id") var partie: Partie
    @Field(key: "title") var title: String
    @OptionalField(key: "caption") var caption: String?
    @Field(key: "kind") var kind: HandoutKind
    @Field(key: "byte_size") var byteSize: Int
    @Field(key: "width") var width: Int
    @Field(key: "height") var height: Int
    /// SHA-256 of the stored bytes: the file's ETag.
    @Field(key: "digest") var digest: String
    @Field(key: "created_at") var createdAt: Date
    /// When the MJ last showed it; nil while only the MJ sees it.
    @OptionalField(key: "shown_at") var shownAt: Date?
    @Field(key: "shown_to_everyone") var shownToEveryone: Bool
    /// The session running when it was shown, if one was: where it appeared live.
    @OptionalField(key: "shown_in_session_id") var shownInSessionID: UUID?

    init() {}
}

/// One player the MJ chose to show a handout to.
final class HandoutViewer: Model, @unchecked Sendable {
    static let schema = "handout_viewers"

    @ID(key: .id) var id: UUID?
    @Parent(key: "handout_id") var handout: Handout
    @Parent(key: "user_id") var user: User

    init() {}

    init(handoutID: UUID, userID: Int) {
        $handout.id = handoutID
        $user.id = userID
    }
}

extension Handout {
    func audience(viewers: [Int]) -> HandoutAudience {
        if shownAt == nil { return .nobody }
        return shownToEveryone ? .everyone : .chosen(Set(viewers))
    }

    /// The handout if the caller may see it. Anyone else — a member it was not shown to, a
    /// stranger — gets the same 404 as for a handout that does not exist.
    static func visible(_ id: UUID, to caller: Caller, on db: any Database) async throws -> (Handout, VisiblePartie) {
        let notFound = AppError.notFound("Document introuvable.")
        guard let handout = try await Handout.find(id, on: db) else { throw notFound }
        let partie: VisiblePartie
        do {
            partie = try await Partie.visible(handout.$partie.id, to: caller, on: db)
        } catch is AppError {
            throw notFound
        }
        let viewers = try await handout.viewerIDs(on: db)
        guard handout.audience(viewers: viewers).shows(to: caller.userID, isMJ: partie.isMJ) else { throw notFound }
        return (handout, partie)
    }

    func viewerIDs(on db: any Database) async throws -> [Int] {
        try await HandoutViewer.query(on: db).filter(\.$handout.$id == requireID()).all().map { $0.$user.id }
    }
}
