import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How `restore` knows the SQLite database is in use: every command that opens it (`serve`,
/// `migrate`, `seed-demo`, `backup`…) holds a shared `flock` on `<database>.lock` while it runs,
/// and `restore` wants it exclusive, without waiting. The system drops a lock with its process,
/// even one killed with SIGKILL, so no stale lock file can ever block a restore; the file itself
/// stays, empty. SQLite's own locks cannot say this: an idle server holds none.
final class DatabaseLock: Sendable {
    private let descriptor: Int32
    let path: String

    /// Takes the lock of `database` (an absolute path), or throws an `OperatorError` naming who
    /// holds it.
    init(database: String, exclusive: Bool) throws {
        path = database + ".lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw OperatorError("impossible d'ouvrir le verrou « \(path) » : \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 else {
            let reason = errno
            close(descriptor)
            guard reason == EWOULDBLOCK else {
                throw OperatorError(
                    "impossible de prendre le verrou « \(path) » : \(String(cString: strerror(reason)))")
            }
            throw exclusive
                ? OperatorError(
                    "la base « \(database) » est en service (un « etrange serve » ou une autre commande la tient, "
                        + "verrou « \(path) ») : arrêtez le serveur avant de restaurer")
                : OperatorError("une restauration de la base « \(database) » est en cours (verrou « \(path) »)")
        }
    }

    deinit {
        close(descriptor)
    }
}
