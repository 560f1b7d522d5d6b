import EtrangeDomain
import Fluent
import Vapor

/// Correcting, deleting and pinning lines. Each change takes the session's lock, so that it is
/// journaled in order and two changes to one line (an edit racing a delete) apply one after the
/// other: the second sees what the first did.
struct ChatCorrections {
    /// `PATCH …/messages/{message}`: the author corrects their written line within
    /// `ChatLine.correctionWindow`; afterwards 403.
    func edit(req: Request) async throws -> MessageResponse {
        let caller = try req.caller
        let body = try req.json(EditMessageRequest.self)
        let text = try Check.text(body.body, field: "body", length: 1...2000)
        try req.limit(
            "chat:\(caller.userID)", req.application.config.limits.chat, reason: "Trop de messages d'affilée.")
        return try await change(req) { message, _, now in
            guard message.$user.id == caller.userID, message.kind == .text else {
                throw AppError.forbidden("Seul l'auteur d'un message écrit peut le corriger.")
            }
            guard message.deletedAt == nil else { throw AppError.conflict("Ce message a été supprimé.") }
            guard ChatLine.correctable(writtenAt: message.createdAt, at: now) else {
                throw AppError.forbidden("Le délai de 5 minutes pour corriger ce message est passé.")
            }
            message.body = text
            message.editedAt = now
            return .chatEdited
        }
    }

    /// `DELETE …/messages/{message}`: the author within `ChatLine.correctionWindow`, the MJ at any
    /// time. The text is erased from the table, not hidden: only « message supprimé » remains.
    func delete(req: Request) async throws -> MessageResponse {
        let caller = try req.caller
        return try await change(req) { message, isMJ, now in
            if !isMJ {
                guard message.$user.id == caller.userID, message.kind == .text else {
                    throw AppError.forbidden("Seuls son auteur et le MJ peuvent supprimer ce message.")
                }
                guard ChatLine.correctable(writtenAt: message.createdAt, at: now) else {
                    throw AppError.forbidden(
                        "Le délai de 5 minutes pour supprimer ce message est passé : demandez au MJ.")
                }
            }
            guard message.deletedAt == nil else { throw AppError.conflict("Ce message est déjà supprimé.") }
            message.body = ""
            message.deletedAt = now
            message.pinnedAt = nil
            return .chatDeleted
        }
    }

    /// `PUT …/messages/{message}/pin`: the MJ keeps an announcement at the top of the page.
    func pin(req: Request) async throws -> MessageResponse {
        try await pinning(req, pinned: true)
    }

    /// `DELETE …/messages/{message}/pin`.
    func unpin(req: Request) async throws -> MessageResponse {
        try await pinning(req, pinned: false)
    }

    private func pinning(_ req: Request, pinned: Bool) async throws -> MessageResponse {
        try await change(req) { message, isMJ, now in
            guard isMJ else { throw AppError.forbidden("Seul le MJ peut épingler une annonce.") }
            guard message.scope == .announcement, message.deletedAt == nil else {
                throw AppError.conflict("Seule une annonce qui n'a pas été supprimée peut être épinglée.")
            }
            message.pinnedAt = pinned ? (message.pinnedAt ?? now) : nil
            return pinned ? .chatPinned : .chatUnpinned
        }
    }

    /// Reads the line under the session's lock (a 404 for a line the caller may not read, as for
    /// one that does not exist), lets `apply` check and change it, saves it and journals the event
    /// `apply` names for those who may see the line.
    private func change(
        _ req: Request, _ apply: @escaping @Sendable (SessionMessage, Bool, Date) throws -> LiveEventType
    ) async throws -> MessageResponse {
        let caller = try req.caller
        let id = try req.uuidParameter()
        let messageID = try req.intParameter("message")
        let access = try await Session.access(id, of: caller, on: req.readDB)
        let now = req.now
        let response = try await req.db.transaction { db -> MessageResponse in
            guard try await Participation.lockSession(id, on: db) != nil else {
                throw AppError.notFound("Session introuvable.")
            }
            guard
                let message = try await Chat.readable(by: caller.userID, isMJ: access.isMJ, in: [id], on: db)
                    .filter(\.$id == messageID).first()
            else {
                throw AppError.notFound("Message introuvable.")
            }
            let event = try apply(message, access.isMJ, now)
            try await message.save(on: db)
            let response = try await Chat.responses(for: [message], on: db)[0]
            try await Chat.rewriteJournal(of: response, in: id, on: db)
            try await Chat.record(event, response, in: id, at: now, on: db)
            return response
        }
        await req.announce(id)
        return response
    }
}
