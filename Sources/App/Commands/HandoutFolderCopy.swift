import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// On SQLite the handouts' bytes are files beside the database (`Application.handoutFolder`), so
/// a backup is the database file and that folder: `sauvegarde.sqlite` and `sauvegarde-handouts/`.
/// The files never change once written (named by the handout's id), so a copy taken just after the
/// database's holds every file its rows name, but one deleted in between.
enum HandoutFolderCopy {
    /// Copies the finished files of `source` into the folder `target`, which must not exist:
    /// written under a temporary name, synced, then renamed whole. Returns how many files it holds;
    /// nil when there is no `source` (no handout was ever stored).
    @discardableResult
    static func copy(from source: URL, to target: URL) throws -> Int? {
        let manager = FileManager.default
        guard manager.fileExists(atPath: source.path) else { return nil }
        guard !manager.fileExists(atPath: target.path) else {
            throw OperatorError("« \(target.path) » existe déjà : une sauvegarde n'en écrase jamais une autre")
        }
        let partial = URL(fileURLWithPath: target.path + ".partiel-\(getpid())", isDirectory: true)
        try? manager.removeItem(at: partial)
        do {
            try manager.createDirectory(at: partial, withIntermediateDirectories: false)
            var count = 0
            // A `.part` file is an upload not committed yet: it belongs to no row.
            for name in try manager.contentsOfDirectory(atPath: source.path) where UUID(uuidString: name) != nil {
                let file = partial.appendingPathComponent(name)
                do {
                    try manager.copyItem(at: source.appendingPathComponent(name), to: file)
                } catch CocoaError.fileReadNoSuchFile, CocoaError.fileNoSuchFile {
                    continue  // deleted with its handout since the listing
                }
                try SQLiteCopy.sync(file.path)
                count += 1
            }
            try SQLiteCopy.sync(partial.path)
            guard rename(partial.path, target.path) == 0 else {
                throw OperatorError(
                    "impossible d'écrire « \(target.path) » : \(String(cString: strerror(errno)))")
            }
            try SQLiteCopy.sync(target.deletingLastPathComponent().path)
            return count
        } catch let error as OperatorError {
            try? manager.removeItem(at: partial)
            throw error
        } catch {
            try? manager.removeItem(at: partial)
            throw OperatorError(
                "impossible de copier les documents vers « \(target.path) » : \(error.localizedDescription)")
        }
    }
}
