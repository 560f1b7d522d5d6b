import Fluent
import SQLKit

/// Who is online in one session: the session list, the presence list and the participants count
/// them on every call. Without it SQLite chose the sweeper's index (`is_online, last_seen`) and
/// read every online person of every session to count one table's.
struct IndexOnlinePresence: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.index("idx_session_presence_online", on: "session_presence", ["session_id", "is_online"])
    }

    func revert(on database: any Database) async throws {
        try await database.sql.drop(index: "idx_session_presence_online").run()
    }
}
