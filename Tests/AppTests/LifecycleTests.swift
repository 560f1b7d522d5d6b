import Foundation
import Testing
import Vapor

@testable import App

/// Everywhere else the tests run the sweeper's and the dispatcher's passes by hand and never boot
/// the application. Here it boots as `serve` does, its own handlers do the work, and it stops
/// through them.
@Suite struct LifecycleTests {
    @Test(arguments: TestDatabase.enabled)
    func theBootedHandlersSweepDeliverListenAndStop(db: TestDatabase) async throws {
        try await withReceiver { receiver in
            let (watcher, dispatcher) = try await withApp(
                db,
                configure: {
                    $0.webhooksMayReachPrivateAddresses = true
                    $0.sweepInterval = 0.05
                }, boot: true
            ) { api in
                #expect(api.app.webhooks.isRunning)
                let table = try await Table.make(api)
                let hook = try await api.send(
                    .PUT, "/api/parties/\(table.partie.id)/webhook", token: table.mj.token,
                    json: ["url": receiver.url, "format": "json"])
                try #require(hook.status == .ok, "\(hook.text)")

                // The dispatcher: a dated session is announced with no pass run by the test.
                _ = try await api.createSession(
                    table, name: "Le manoir", extra: ["scheduled_date": "2025-02-07T19:30:00Z"])
                try await waitUntil("the dispatcher's delivery") { receiver.received.count >= 1 }

                // The sweeper: a player whose phone went silent past the timeout is taken offline.
                let session = try await api.armandPlaying(table).session
                #expect(try await api.presence(session, as: table.mj).contains { $0.userId == table.player.id })
                api.clock.advance(by: api.app.config.presenceTimeout + 1)
                try await waitUntil("the sweeper's pass") {
                    !(try await api.presence(session, as: table.mj).contains { $0.userId == table.player.id })
                }

                let watcher = try await LiveClient.connect(api, session: session.id, token: table.mj.token)
                // Served, and done with the poke its own arrival made: the event below can then
                // only come through the listener.
                try await watcher.waitFor("the MJ's arrival") {
                    $0.contains { $0.type == "presence.online" && $0.data["user_id"] as? Int == table.mj.id }
                }
                if db == .postgres {
                    // The listener: an event written and announced by another instance reaches
                    // this one's sockets only through it. Announced again until it arrives: the
                    // listener may not be listening yet.
                    try await api.recordElsewhere(.presenceIdle, in: session.id, about: table.player)
                    try await api.pokeUntil(session.id) { watcher.events.contains { $0.type == "presence.idle" } }
                }
                return (watcher, api.app.webhooks)
            }
            // The graceful stop: the sockets were told why before the server closed, and the
            // dispatcher's loop ended.
            try await watcher.waitFor("the stop's notice") {
                $0.contains {
                    $0.type == "stream.closed" && ($0.data["reason"] as? String)?.contains("redémarre") == true
                }
            }
            #expect(!dispatcher.isRunning)
        }
    }

    /// Polls `condition` until it holds, up to ten seconds of real time: the handlers run on
    /// their own timers.
    private func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<500 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting for \(what)")
    }
}
