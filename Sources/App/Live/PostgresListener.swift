import FluentPostgresDriver
import Logging
import PostgresNIO
import Vapor

/// On PostgreSQL, listens for other instances' events (`NOTIFY`, on `LiveEvents.channel`) on a connection of
/// its own, and pokes this instance's hub. The payload is only a reference (`e:<session>/<instance>`,
/// `d:<deleted session>`, `t:<token>`, `m:<partie>/<removed member>` or `p:<partie changed>`), well under NOTIFY's
/// 8000-byte limit; the events themselves are read from the journal. After a lost connection it reconnects and re-reads every followed session, so a
/// notification missed meanwhile delays an event but never loses it.
final class PostgresListener: LifecycleHandler, Sendable {
    private let configuration: PostgresConnection.Configuration
    private let schema: String?
    private let loop = BackgroundTask()

    init(configuration: PostgresConnection.Configuration, schema: String?) {
        self.configuration = configuration
        self.schema = schema
    }

    func didBootAsync(_ application: Application) async throws {
        let (configuration, schema) = (configuration, schema)
        let logger = application.logger
        let eventLoop = application.eventLoopGroup.any()
        let tokens = application.tokenCache
        let parties = application.partieChanges
        loop.start { [weak application] in
            var attempt = 0
            while !Task.isCancelled {
                guard let hub = application?.live else { return }
                do {
                    let connection = try await PostgresConnection.connect(
                        on: eventLoop, configuration: configuration, id: 0, logger: logger)
                    defer { Task { try? await connection.close() } }
                    let channel = try await Self.channel(on: connection, schema: schema, logger: logger)
                    try await connection.listen(on: channel) { notifications in
                        attempt = 0
                        // Revocations may have been missed while the connection was down.
                        tokens.removeAll()
                        await hub.pokeAll()
                        for try await notification in notifications {
                            await Self.handle(notification.payload, hub: hub, tokens: tokens, parties: parties)
                        }
                    }
                } catch {
                    if Task.isCancelled { return }
                    attempt += 1
                    logger.warning(
                        "live listener lost PostgreSQL (attempt \(attempt)): \(String(reflecting: error))")
                }
                try? await Task.sleep(for: .milliseconds(min(5000, 200 * attempt)))
            }
        }
    }

    /// The channel the application's own connections notify on: named by the database from the
    /// same search path.
    private static func channel(on connection: PostgresConnection, schema: String?, logger: Logger) async throws
        -> String
    {
        if let schema {
            try await connection.query(PostgresQuery(unsafeSQL: #"SET search_path TO "\#(schema)""#), logger: logger)
        }
        let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT \(LiveEvents.channel)"), logger: logger)
        for try await name in rows.decode(String.self) { return name }
        throw NoSchema()
    }

    /// The search path names no schema that exists: the application's tables are nowhere either.
    private struct NoSchema: Error, CustomStringConvertible {
        var description: String { "no schema of the search path exists" }
    }

    static func handle(_ payload: String, hub: LiveHub, tokens: TokenCache, parties: PartieChanges) async {
        let reference = payload.dropFirst(2)
        if payload.hasPrefix("e:") {
            let parts = reference.split(separator: "/", maxSplits: 1)
            guard let sessionID = parts.first.flatMap({ UUID(uuidString: String($0)) }) else { return }
            // An instance's own events were handed out by its `publish` before it notified.
            if parts.count == 2, UUID(uuidString: String(parts[1])) == hub.instanceID { return }
            await hub.poke(sessionID)
        } else if payload.hasPrefix("d:"), let sessionID = UUID(uuidString: String(reference)) {
            await hub.sessionDeleted(sessionID)
        } else if payload.hasPrefix("t:"), let tokenID = UUID(uuidString: String(reference)) {
            tokens.revoke(tokenID: tokenID)
            await hub.revoke(tokenID: tokenID)
        } else if payload.hasPrefix("m:") {
            let parts = reference.split(separator: "/")
            guard parts.count == 2, let partieID = Int(parts[0]), let userID = Int(parts[1]) else { return }
            await hub.memberRemoved(userID, from: partieID)
        } else if payload.hasPrefix("p:"), let partieID = Int(reference) {
            await parties.changed(partieID)
        }
    }

    func shutdownAsync(_ application: Application) async {
        await loop.stop()
    }
}
