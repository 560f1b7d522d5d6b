import EtrangeDomain
import Fluent
import FluentPostgresDriver
import SQLKit
import Vapor

/// `GET /api/me/export`: the caller's data, read in a fixed number of queries whatever their
/// amount, inside one read-only transaction so that the sections agree with each other (on
/// SQLite a reader's snapshot, which never holds up the writer; on PostgreSQL a repeatable read).
enum AccountExport {
    static let format = "etrange-export/1"

    /// Every table that holds rows of a user, with the field of the document that carries them.
    /// The document writes this list as its `sources`, and `DataExportTests` walks the live schema:
    /// a table that refers to users must be here or in the README's list of tables holding none of
    /// the caller's data.
    static let sources: KeyValuePairs<String, String> = [
        "users": "account",
        "user_tokens": "tokens",
        "calendar_feeds": "calendar_feed",
        "password_resets": "password_resets",
        "scenarios": "scenarios",
        "partie_members": "memberships",
        "parties": "parties_run",
        "characters": "characters",
        "session_participants": "participations",
        "session_presence": "presence",
        "session_messages": "messages",
        "session_message_recipients": "messages",
        "session_draws": "draws",
        "session_decks": "legacy_decks",
        "session_rsvps": "rsvps",
        "date_poll_answers": "poll_answers",
        "session_waiters": "waiting_list",
        "handout_viewers": "handouts_shown",
    ]

    static let withheld: [WithheldField] = [
        .init(
            field: "users.password_hash",
            reason:
                "empreinte bcrypt du mot de passe : elle ne dit rien de vous et servirait seulement à deviner le mot de passe."
        ),
        .init(
            field: "users.username_key, users.username_skeleton",
            reason: "formes du nom d'utilisateur calculées pour les comparaisons (casse, sosies), déduites de username."
        ),
        .init(
            field: "user_tokens.token_hash, calendar_feeds.secret_hash, password_resets.secret_hash",
            reason:
                "empreintes de secrets (jetons de connexion, lien d'agenda, liens de réinitialisation) : seules les dates sont données."
        ),
        .init(
            field: "partie_webhooks.secret",
            reason: "clé de signature du webhook d'une partie que vous menez, un secret partagé avec son destinataire."
        ),
        .init(
            field: "handout_contents.data",
            reason:
                "les images des documents ne sont pas recopiées : chaque document donne son file_url pour les télécharger."
        ),
    ]

    static func export(req: Request) async throws -> Response {
        let caller = try req.caller
        try req.limit(
            "export:\(caller.userID)", req.application.config.limits.exports,
            reason: "Trop d'exports de vos données.")
        let now = req.now
        let exported = try await req.readDB.transaction { db in
            if db is any PostgresDatabase {
                try await db.sql.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").run()
            }
            return try await document(of: caller.userID, on: db, now: now)
        }
        let response = Response(status: .ok)
        try response.content.encode(exported, using: JSONCoding.encoder)
        response.headers.replaceOrAdd(
            name: .contentDisposition, value: "attachment; filename=\"etrange-donnees-\(caller.userID).json\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    static func document(of userID: Int, on db: any Database, now: Date) async throws -> AccountExportDocument {
        guard let user = try await User.find(userID, on: db) else {
            throw AppError.unauthorized("Jeton invalide ou révoqué.")
        }
        let participations = try await self.participations(of: userID, on: db, now: now)
        let characters = try await Character.query(on: db).filter(\.$user.$id == userID).sort(\.$createdAt).all()
        return AccountExportDocument(
            format: format, generatedAt: now,
            sources: Dictionary(sources.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first }),
            withheld: withheld,
            account: ExportedAccount(
                id: userID, username: user.username, displayName: user.displayName,
                passwordFromApp: user.legacySHA256, createdAt: user.createdAt, updatedAt: user.updatedAt),
            tokens: try await UserToken.query(on: db).filter(\.$user.$id == userID).sort(\.$createdAt).all()
                .map { ExportedToken(createdAt: $0.createdAt, expiresAt: $0.expiresAt) },
            calendarFeed: try await CalendarFeed.query(on: db).filter(\.$user.$id == userID).first()
                .map { ExportedCalendarFeed(createdAt: $0.createdAt, lastUsedAt: $0.lastUsedAt) },
            passwordResets: try await db.sql.select().column("created_at").column("expires_at").column("used_at")
                .from(PasswordResets.schema).where("user_id", .equal, userID).orderBy("created_at")
                .all(decoding: ExportedPasswordReset.self, with: snakeCase),
            scenarios: try await Scenario.query(on: db).filter(\.$creator.$id == userID).sort(\.$createdAt).all()
                .map(ScenarioResponse.init),
            memberships: try await memberships(of: userID, on: db),
            partiesRun: try await partiesRun(by: userID, on: db),
            characters: try characters.filter { $0.deletedAt == nil }.map(CharacterResponse.init),
            deletedCharacters: try characters.compactMap { character in
                try character.deletedAt.map {
                    ExportedDeletedCharacter(
                        id: try character.requireID(), createdAt: character.createdAt, deletedAt: $0)
                }
            },
            participations: participations,
            timePlayedSeconds: participations.reduce(0) { $0 + $1.playedSeconds },
            presence: try await SessionPresence.query(on: db).filter(\.$user.$id == userID).sort(\.$joinedAt).all()
                .map {
                    ExportedPresence(
                        sessionId: $0.$session.id, characterId: $0.$character.id, isOnline: $0.isOnline,
                        joinedAt: $0.joinedAt, lastSeen: $0.lastSeen, leftAt: $0.leftAt,
                        lastActiveAt: $0.lastActiveAt, idleSince: $0.idleSince)
                },
            messages: try await messages(of: userID, on: db),
            draws: try await SessionDraw.query(on: db).filter(\.$user.$id == userID).with(\.$character)
                .sort(\.$createdAt).all()
                .map { try DrawResponse($0, user: user, characterName: $0.character?.name) },
            legacyDecks: try await db.sql.select().column("session_id").column("character_id").column("state")
                .column("created_at").column("updated_at").from("session_decks").where("owner_id", .equal, userID)
                .orderBy("created_at").all(decoding: ExportedLegacyDeck.self, with: snakeCase),
            rsvps: try await SessionRSVP.query(on: db).filter(\.$user.$id == userID).sort(\.$createdAt).all()
                .map {
                    ExportedRSVP(
                        sessionId: $0.$session.id, answer: $0.answer, comment: $0.comment, createdAt: $0.createdAt,
                        updatedAt: $0.updatedAt)
                },
            pollAnswers: try await DatePollAnswer.query(on: db).filter(\.$user.$id == userID)
                .with(\.$poll).with(\.$slot).sort(\.$updatedAt).all()
                .map {
                    ExportedPollAnswer(
                        pollId: $0.$poll.id, pollName: $0.poll.name, slotId: $0.$slot.id, startsAt: $0.slot.startsAt,
                        answer: $0.answer, updatedAt: $0.updatedAt)
                },
            waitingList: try await SessionWaiter.query(on: db).filter(\.$user.$id == userID).sort(\.$id).all()
                .map {
                    ExportedWaiter(
                        sessionId: $0.$session.id, characterId: $0.$character.id, joinedAt: $0.joinedAt,
                        lastSeen: $0.lastSeen)
                },
            handoutsShown: try await handoutsShown(to: userID, on: db))
    }

    private static let snakeCase = SQLRowDecoder(keyDecodingStrategy: .convertFromSnakeCase)

    private static func memberships(of userID: Int, on db: any Database) async throws -> [ExportedMembership] {
        try await PartieMember.query(on: db).filter(\.$user.$id == userID).with(\.$partie).sort(\.$joinedAt).all()
            .map {
                ExportedMembership(
                    partieId: $0.$partie.id, partieName: $0.partie.name,
                    role: $0.partie.$mj.id == userID ? .mj : .player, joinedAt: $0.joinedAt)
            }
    }

    /// The parties the caller runs, with their sessions, webhook and handouts: four queries.
    private static func partiesRun(by userID: Int, on db: any Database) async throws -> [ExportedPartie] {
        let parties = try await Partie.query(on: db).filter(\.$mj.$id == userID).sort(\.$createdAt).all()
        let ids = try parties.map { try $0.requireID() }
        guard !ids.isEmpty else { return [] }
        let sessions = try await Session.query(on: db).filter(\.$partie.$id ~~ ids).sort(\.$createdAt).all()
        let webhooks = try await PartieWebhook.query(on: db).filter(\.$partie.$id ~~ ids).all()
        let handouts = try await Handout.query(on: db).filter(\.$partie.$id ~~ ids).sort(\.$createdAt).all()
        let handoutIDs = try handouts.map { try $0.requireID() }
        let viewers =
            handoutIDs.isEmpty
            ? [] : try await HandoutViewer.query(on: db).filter(\.$handout.$id ~~ handoutIDs).all()
        let viewersByHandout = Dictionary(grouping: viewers, by: { $0.$handout.id }).mapValues { $0.map(\.$user.id) }
        return try parties.map { partie in
            let id = try partie.requireID()
            return ExportedPartie(
                id: id, name: partie.name, scenarioId: partie.$scenario.id, inviteCode: partie.inviteCode,
                sessionLengthMinutes: partie.sessionLengthMinutes, reminderOffsetsMinutes: partie.reminderOffsetList,
                membersMayObserve: partie.membersMayObserve, createdAt: partie.createdAt, updatedAt: partie.updatedAt,
                sessions: try sessions.filter { $0.$partie.id == id }.map { session in
                    ExportedSession(
                        id: try session.requireID(), name: session.name, description: session.description,
                        status: session.status, scheduledDate: session.scheduledDate, startedAt: session.startedAt,
                        endedAt: session.endedAt, summary: session.summary, notes: session.notes,
                        maxPlayers: session.maxPlayers, allowLateJoin: session.allowLateJoin,
                        voiceChannelId: session.voiceChannelID, createdAt: session.createdAt,
                        updatedAt: session.updatedAt)
                },
                webhook: webhooks.first { $0.$partie.id == id }.map { WebhookResponse($0, revealing: false) },
                handouts: try handouts.filter { $0.$partie.id == id }.map { handout in
                    try HandoutResponse(handout, viewers: viewersByHandout[try handout.requireID()] ?? [])
                })
        }
    }

    private static func participations(of userID: Int, on db: any Database, now: Date) async throws
        -> [ExportedParticipation]
    {
        try await SessionParticipant.query(on: db).filter(\.$user.$id == userID).with(\.$session)
            .sort(\.$joinedAt).all()
            .map {
                ExportedParticipation(
                    sessionId: $0.$session.id, sessionName: $0.session.name, partieId: $0.session.$partie.id,
                    characterId: $0.$character.id, role: $0.role, joinedAt: $0.joinedAt, leftAt: $0.leftAt,
                    isActive: $0.isActive, playedSeconds: Int($0.playedTime.seconds(at: now).rounded()))
            }
    }

    /// The lines the caller wrote, whatever their scope, and the private lines meant for them:
    /// those they were chosen for, and in the parties they run a player's line to the MJ (it has
    /// no recipients). Never a private line between others, and never the MJ's notes, which are
    /// not lines: they come only with the parties the caller runs.
    private static func messages(of userID: Int, on db: any Database) async throws -> [MessageResponse] {
        let messages = SQLIdentifier(SessionMessage.schema)
        let recipients = SQLIdentifier(Chat.Recipients.schema)
        let rows = try await SessionMessage.query(on: db).group(.or) { or in
            or.filter(\.$user.$id == userID)
            or.group(.and) { privateLine in
                privateLine.filter(\.$scope == .private).filter(
                    .sql(
                        embed: """
                            (\(messages).id IN (SELECT message_id FROM \(recipients) WHERE user_id = \(bind: userID)) \
                            OR (NOT EXISTS (SELECT 1 FROM \(recipients) WHERE message_id = \(messages).id) \
                            AND \(messages).session_id IN (SELECT s.id FROM \(ident: Session.schema) s \
                            JOIN \(ident: Partie.schema) p ON p.id = s.partie_id WHERE p.mj_id = \(bind: userID))))
                            """))
            }
        }.sort(\.$id).all()
        return try await Chat.responses(for: rows, on: db)
    }

    /// Handouts shown to the caller by name, and those shown to everyone in a partie they belong
    /// to but do not run (the MJ's own come with their parties). Their metadata, as a player sees it.
    private static func handoutsShown(to userID: Int, on db: any Database) async throws -> [HandoutResponse] {
        try await Handout.query(on: db).group(.or) { or in
            or.filter(
                .sql(
                    embed:
                        "\(ident: Handout.schema).id IN (SELECT handout_id FROM \(ident: HandoutViewer.schema) WHERE user_id = \(bind: userID))"
                ))
            or.group(.and) { everyone in
                everyone.filter(\.$shownToEveryone == true).filter(\.$shownAt != nil).filter(
                    .sql(
                        embed: """
                            \(ident: Handout.schema).partie_id IN (SELECT m.partie_id FROM \(ident: PartieMember.schema) m \
                            JOIN \(ident: Partie.schema) p ON p.id = m.partie_id \
                            WHERE m.user_id = \(bind: userID) AND p.mj_id <> \(bind: userID))
                            """))
            }
        }.sort(\.$createdAt).all().map { try HandoutResponse($0, viewers: nil) }
    }
}
