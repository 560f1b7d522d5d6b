import CImage
import EtrangeDomain
import Fluent
import Foundation
import NIOPosix
import SQLKit
import Vapor

/// A handout's bytes, checked and cleaned: what is stored and served.
struct CleanFile: Sendable {
    let kind: HandoutKind
    let bytes: Data
    let width: Int
    let height: Int
}

/// Decodes every uploaded file whole, with libvips, on threads of its own: decoding a large
/// picture keeps a core busy for a while, and must not hold the threads SQLite's readers use.
final class HandoutCleaner: Sendable {
    private let pool: NIOThreadPool

    init(threads: Int) {
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    func shutdown() async throws {
        try await pool.shutdownGracefully()
    }

    func clean(_ bytes: Data, limits: HandoutLimits) async throws -> CleanFile {
        guard let kind = HandoutKind(sniffing: bytes) else {
            throw AppError.invalid(
                field: "file", reason: "seuls les images PNG, JPEG ou WebP et les PDF sont acceptés.")
        }
        return try await pool.runIfActive { try Self.decode(bytes, as: kind, limits: limits) }
    }

    private static func decode(_ bytes: Data, as kind: HandoutKind, limits: HandoutLimits) throws -> CleanFile {
        var result = etr_image_result()
        defer { etr_image_free(&result) }
        let status = bytes.withUnsafeBytes { raw in
            etr_image_clean(raw.baseAddress, raw.count, kind.cKind, Int64(limits.maxPixels), &result)
        }
        switch status {
        case ETR_IMAGE_OK:
            let cleaned = kind.isImage ? Data(bytes: result.data, count: result.length) : bytes
            return CleanFile(kind: kind, bytes: cleaned, width: Int(result.width), height: Int(result.height))
        case ETR_IMAGE_TOO_LARGE:
            throw AppError.invalid(
                field: "file",
                reason: "l'image est trop grande (\(result.width) × \(result.height) pixels ; "
                    + "\(limits.maxPixels / 1_000_000) millions au plus).")
        case ETR_IMAGE_UNREADABLE:
            throw AppError.invalid(
                field: "file", reason: "le fichier n'est pas un \(kind.label) lisible (tronqué ou endommagé ?).")
        default:
            let message = withUnsafeBytes(of: result.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw Abort(.internalServerError, reason: "libvips: \(message)")
        }
    }
}

extension HandoutKind {
    fileprivate var cKind: etr_image_kind {
        switch self {
        case .png: ETR_IMAGE_PNG
        case .jpeg: ETR_IMAGE_JPEG
        case .webp: ETR_IMAGE_WEBP
        case .pdf: ETR_IMAGE_PDF
        }
    }

    fileprivate var label: String {
        switch self {
        case .png: "PNG"
        case .jpeg: "JPEG"
        case .webp: "WebP"
        case .pdf: "PDF"
        }
    }
}

/// The bytes of the handouts on PostgreSQL, where two instances must read the same files.
enum HandoutContents {
    static let schema = "handout_contents"
}

/// Where handouts' bytes live: files in a folder beside the SQLite database (the data folder an
/// operator backs up), or rows of the database itself on PostgreSQL.
enum HandoutStorage: Sendable {
    case folder(URL)
    case database

    /// Stores the bytes as part of `db`'s transaction. A file is written before the row commits:
    /// should the transaction fail, the caller removes it (`discard`).
    func store(_ bytes: Data, for id: UUID, on db: any Database) async throws {
        switch self {
        case .folder(let folder):
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            // Written whole then renamed: a reader never sees half a file.
            let final = folder.appendingPathComponent(id.uuidString)
            let partial = folder.appendingPathComponent(id.uuidString + ".part")
            try bytes.write(to: partial)
            try FileManager.default.moveItem(at: partial, to: final)
        case .database:
            try await db.sql.insert(into: HandoutContents.schema)
                .columns("handout_id", "data")
                .values(SQLBind(id), SQLBind(bytes))
                .run()
        }
    }

    func load(_ id: UUID, on db: any Database) async throws -> Data {
        switch self {
        case .folder(let folder):
            return try Data(contentsOf: folder.appendingPathComponent(id.uuidString))
        case .database:
            struct Row: Decodable { let data: Data }
            guard
                let row = try await db.sql.select().column("data").from(HandoutContents.schema)
                    .where("handout_id", .equal, SQLBind(id)).first(decoding: Row.self)
            else {
                throw AppError.notFound("Document introuvable.")
            }
            return row.data
        }
    }

    /// After the row is gone (or never committed). In the database the row went with it.
    func discard(_ id: UUID, logger: Logger) {
        guard case .folder(let folder) = self else { return }
        let file = folder.appendingPathComponent(id.uuidString)
        do {
            try FileManager.default.removeItem(at: file)
        } catch CocoaError.fileNoSuchFile {
            return
        } catch {
            logger.warning("handout file left behind: \(file.path): \(error)")
        }
    }
}

extension Application {
    var handoutCleaner: HandoutCleaner { installed() }
    var handoutStorage: HandoutStorage { installed() }

    /// `data/etrange.sqlite` keeps its handouts in `data/etrange-handouts/`: beside the database,
    /// in the folder an operator backs up, and apart from any other database's.
    static func handoutFolder(forDatabaseAt path: String) -> URL {
        let database = URL(fileURLWithPath: DatabaseFiles.absolute(path))
        return database.deletingLastPathComponent()
            .appendingPathComponent(database.deletingPathExtension().lastPathComponent + "-handouts", isDirectory: true)
    }

    func installHandouts() throws {
        guard etr_image_start() == 0 else { throw Abort(.internalServerError, reason: "libvips did not start") }
        let storage: HandoutStorage =
            switch config.database {
            case .sqlite(let path):
                .folder(Self.handoutFolder(forDatabaseAt: path))
            case .postgres: .database
            }
        let cleaner = HandoutCleaner(threads: 1)
        install(cleaner)
        install(storage)
        lifecycle.use(HandoutsLifecycle(cleaner: cleaner))
    }
}

private struct HandoutsLifecycle: LifecycleHandler {
    let cleaner: HandoutCleaner

    func shutdownAsync(_ application: Application) async {
        do {
            try await cleaner.shutdown()
        } catch {
            application.logger.report(error: error)
        }
    }
}
