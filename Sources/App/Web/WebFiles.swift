import Foundation

/// Where the web interface's files are, so that the server works from any folder and from an
/// install (`scripts/install.sh`): `ETRANGE_PUBLIC_DIR` when set, else beside the executable
/// (`<bin>/../share/etrange/Public`, then `<bin>/Public`), else `./Public` (a checkout, in
/// development). A folder without `index.html` does not count: the page is what must be served.
enum WebFiles {
    static let variable = "ETRANGE_PUBLIC_DIR"

    /// The folder, with a trailing `/` as Vapor's file middleware wants it; an `OperatorError`
    /// listing where it looked otherwise.
    static func locate(explicit: String?, executable: URL?, workingDirectory: String) throws -> String {
        if let explicit {
            let folder = URL(fileURLWithPath: explicit, relativeTo: URL(fileURLWithPath: workingDirectory))
            guard holdsPage(folder) else {
                throw OperatorError("\(variable)=\(explicit) : pas de index.html dans ce dossier")
            }
            return folder.standardizedFileURL.path + "/"
        }
        var candidates: [URL] = []
        if let bin = executable?.resolvingSymlinksInPath().deletingLastPathComponent() {
            candidates.append(bin.appendingPathComponent("../share/etrange/Public"))
            candidates.append(bin.appendingPathComponent("Public"))
        }
        candidates.append(URL(fileURLWithPath: workingDirectory).appendingPathComponent("Public"))
        guard let found = candidates.first(where: holdsPage) else {
            let tried = candidates.map(\.standardizedFileURL.path).joined(separator: ", ")
            throw OperatorError(
                "fichiers web introuvables (cherchés dans \(tried)) : indiquez leur dossier par \(variable)")
        }
        return found.standardizedFileURL.path + "/"
    }

    /// Where this process finds them.
    static func locate(_ config: AppConfig) throws -> String {
        try locate(
            explicit: config.publicDirectory, executable: Bundle.main.executableURL,
            workingDirectory: FileManager.default.currentDirectoryPath)
    }

    private static func holdsPage(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent("index.html").path)
    }
}
