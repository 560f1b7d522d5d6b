/// A write that cannot be made the quick way (in SQLite's group commit, or in PostgreSQL's one
/// statement for a chat line) and needs a transaction of its own through Fluent, which reads what
/// it needs under the session's lock: an idle writer wakes, which journals more than the line, or
/// what was read before the statement no longer holds. Thrown before anything is written.
struct NeedsTransaction: Error {}
