import EtrangeDomain
import Fluent
import SQLKit
import Vapor

/// Handouts: the MJ's pictures and documents, shown to the whole partie or to chosen players.
struct HandoutsController: RouteCollection {
    let maxBytes: Int

    func boot(routes: any RoutesBuilder) throws {
        let authenticated = routes.grouped(TokenAuthMiddleware())
        let partie = authenticated.grouped("api", "parties", ":id", "handouts")
        // The form's fields and boundaries around the file: a few kilobytes at most.
        partie.on(.POST, body: .collect(maxSize: ByteCount(value: maxBytes + 64 * 1024)), use: upload)
        partie.get(use: list)
        let handout = authenticated.grouped("api", "handouts", ":id")
        handout.get("file", use: file)
        handout.post("show", use: show)
        handout.post("hide", use: hide)
        handout.delete(use: delete)
    }

    func upload(req: Request) async throws -> Response {
        let caller = try req.caller
        let partie = try await Partie.managed(req.intParameter(), by: caller, on: req.db)
        guard req.headers.contentType?.type == "multipart", req.headers.contentType?.subType == "form-data" else {
            throw Abort(
                .unsupportedMediaType,
                reason: "Envoyez le document en multipart/form-data (champs « file », « title », « caption »).")
        }
        let form = try req.content.decode(UploadHandoutForm.self)
        let title = try Check.text(form.title, field: "title", length: HandoutLimits.titleLength)
        let caption = try Check.optionalText(
            form.caption, field: "caption", maxLength: HandoutLimits.captionLength.upperBound)
        let limits = req.application.config.handoutLimits
        guard form.file.data.readableBytes <= limits.maxBytes else {
            throw Abort(
                .payloadTooLarge, reason: "Le document dépasse \(limits.maxBytes / (1024 * 1024)) Mo.")
        }
        guard form.file.data.readableBytes > 0 else {
            throw AppError.invalid(field: "file", reason: "le fichier est vide.")
        }
        try req.limit(
            "handouts:\(caller.userID)", req.application.config.limits.handoutUploads,
            reason: "Trop de documents envoyés d'affilée.")
        let clean = try await req.application.handoutCleaner.clean(Data(buffer: form.file.data), limits: limits)

        let handout = Handout()
        let id = UUID()
        handout.id = id
        handout.$partie.id = partie.id
        handout.title = title
        handout.caption = caption
        handout.kind = clean.kind
        handout.byteSize = clean.bytes.count
        handout.width = clean.width
        handout.height = clean.height
        handout.digest = SHA256.hash(data: clean.bytes).hex
        handout.createdAt = req.now
        handout.shownToEveryone = false
        let storage = req.application.handoutStorage
        do {
            try await req.db.transaction { db in
                try await handout.create(on: db)
                try await storage.store(clean.bytes, for: id, on: db)
            }
        } catch {
            storage.discard(id, logger: req.logger)
            throw error
        }
        return try await HandoutResponse(handout, viewers: []).encodeResponse(status: .created, for: req)
    }

    func list(req: Request) async throws -> [HandoutResponse] {
        let caller = try req.caller
        let partie = try await Partie.visible(req.intParameter(), to: caller, on: req.db)
        let handouts = try await Handout.query(on: req.db).filter(\.$partie.$id == partie.id)
            .sort(\.$createdAt, .descending).all()
        let viewers = try await HandoutViewer.query(on: req.db)
            .filter(\.$handout.$id ~~ handouts.compactMap(\.id)).all()
        let byHandout = Dictionary(grouping: viewers, by: { $0.$handout.id }).mapValues { $0.map(\.$user.id) }
        return try handouts.compactMap { handout in
            let chosen = byHandout[try handout.requireID()] ?? []
            guard handout.audience(viewers: chosen).shows(to: caller.userID, isMJ: partie.isMJ) else { return nil }
            return try HandoutResponse(handout, viewers: partie.isMJ ? chosen : nil)
        }
    }

    func file(req: Request) async throws -> Response {
        let (handout, _) = try await Handout.visible(req.uuidParameter(), to: req.caller, on: req.db)
        let etag = "\"\(handout.digest)\""
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: handout.kind.contentType)
        headers.replaceOrAdd(name: .eTag, value: etag)
        // Private to the person's browser, and checked again after five minutes: a handout the
        // MJ hides stops being served then.
        headers.replaceOrAdd(name: .cacheControl, value: "private, max-age=300")
        headers.replaceOrAdd(name: .contentDisposition, value: "inline; filename=\"document.\(handout.kind.rawValue)\"")
        // Nothing in a handout ever runs, even opened on its own.
        headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'none'; sandbox")
        if req.headers[.ifNoneMatch].contains(etag) {
            return Response(status: .notModified, headers: headers)
        }
        let bytes = try await req.application.handoutStorage.load(try handout.requireID(), on: req.db)
        return Response(status: .ok, headers: headers, body: .init(data: bytes))
    }

    func show(req: Request) async throws -> HandoutResponse {
        let caller = try req.caller
        let body = try req.json(ShowHandoutRequest.self)
        let (handout, partie) = try await managed(req)
        let chosen: Set<Int>
        switch (body.everyone, body.userIds) {
        case (true, nil), (true, []?):
            chosen = []
        case (false?, let ids?), (nil, let ids?):
            chosen = Set(ids)
            guard (1...50).contains(chosen.count), chosen.count == ids.count else {
                throw AppError.invalid(field: "user_ids", reason: "choisissez de 1 à 50 joueurs différents.")
            }
            let players = try await PartieMember.query(on: req.db).filter(\.$partie.$id == partie.id)
                .filter(\.$user.$id ~~ chosen).filter(\.$user.$id != caller.userID).count()
            guard players == chosen.count else {
                throw AppError.invalid(field: "user_ids", reason: "chaque joueur choisi doit être membre de la partie.")
            }
        default:
            throw AppError.invalid(
                field: "everyone", reason: "envoyez soit « everyone »: true, soit « user_ids » (les joueurs choisis).")
        }
        let now = req.now
        let id = try handout.requireID()
        let running = try await Session.query(on: req.db).filter(\.$partie.$id == partie.id)
            .filter(\.$status ~~ [.active, .paused]).all().compactMap(\.id)
        handout.shownAt = now
        handout.shownToEveryone = chosen.isEmpty
        handout.shownInSessionID = running.first
        let shown = try HandoutResponse(handout, viewers: nil)
        try await req.db.transaction { db in
            try await handout.save(on: db)
            try await HandoutViewer.query(on: db).filter(\.$handout.$id == id).delete()
            for userID in chosen.sorted() { try await HandoutViewer(handoutID: id, userID: userID).create(on: db) }
            for sessionID in running where try await Participation.lockSession(sessionID, on: db) != nil {
                try await LiveEvents.record(
                    .handoutShown, in: sessionID, data: shown, at: now,
                    visibility: chosen.isEmpty ? .all : .mj, audience: chosen, on: db)
            }
        }
        for sessionID in running { await req.announce(sessionID) }
        return try HandoutResponse(handout, viewers: chosen.sorted())
    }

    func hide(req: Request) async throws -> HandoutResponse {
        let (handout, _) = try await managed(req)
        let id = try handout.requireID()
        handout.shownAt = nil
        handout.shownToEveryone = false
        try await req.db.transaction { db in
            try await handout.save(on: db)
            try await HandoutViewer.query(on: db).filter(\.$handout.$id == id).delete()
        }
        return try HandoutResponse(handout, viewers: [])
    }

    func delete(req: Request) async throws -> HTTPStatus {
        let (handout, _) = try await managed(req)
        let id = try handout.requireID()
        try await handout.delete(on: req.db)
        req.application.handoutStorage.discard(id, logger: req.logger)
        return .noContent
    }

    /// The handout if the caller is its partie's MJ; players it was shown to get a 403, anyone
    /// else the 404 of a handout that does not exist.
    private func managed(_ req: Request) async throws -> (Handout, VisiblePartie) {
        let (handout, partie) = try await Handout.visible(req.uuidParameter(), to: req.caller, on: req.db)
        guard partie.isMJ else { throw AppError.forbidden("Seul le MJ de la partie peut faire cela.") }
        return (handout, partie)
    }
}
