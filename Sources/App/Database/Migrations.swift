import Fluent
import SQLKit

extension Database {
    /// Creates a plain index; Fluent's schema builder has none, SQLKit's speaks both dialects.
    func index(_ name: String, on table: String, _ columns: [String]) async throws {
        var builder = sql.create(index: name).on(table)
        for column in columns { builder = builder.column(column) }
        try await builder.run()
    }
}

enum Migrations {
    /// Every migration, in the order they run. Landed ones are never edited: add the next.
    static let all: [any Migration] = [
        CreateUsers(),
        CreateUserTokens(),
        CreateScenarios(),
        CreateParties(),
        CreatePartieMembers(),
        CreateCharacters(),
        CreateSessions(),
        CreateSessionPresence(),
        CreateSessionParticipants(),
        CreateSessionEvents(),
        AddCharacterFigure(),
        AddSessionCardValues(),
        CreateSessionDecks(),
        CreateSessionDraws(),
        CreateSessionMessages(),
        AddPartieSessionLength(),
        AddSessionRevision(),
        AddPresenceActivity(),
        CreateCalendarFeeds(),
        CreatePartieWebhooks(),
        CreateWebhookDeliveries(),
        IndexOnlinePresence(),
        LetHeartbeatsUpdateInPlace(),
        LookUpTokensByIndex(),
        CreateLiveTickets(),
        AddUsernameSkeleton(),
        MoveDecksToCharacters(),
        CreateReferenceEntries(),
        AddPrivateChat(),
        CreateScheduling(),
        AddMembersMayObserve(),
        CreateSessionWaiters(),
        CreateHandouts(),
        CreatePasswordResets(),
        CreateSessionReminders(),
        AddDeletionMarkers(),
        AddAppImportMarks(),
        CreateSessionSeries(),
        AddSeatOffers(),
        AddPartieRevision(),
        AddJournalCounter(),
    ]
}
