import Crypto
import Foundation

/// What `etrange import-app` refuses: one French line per row that breaks a rule, each naming its
/// table and id (« characters 6f1c… : … »). Nothing is written when there is one.
struct ImportRefused: Error {
    var lines: [String]
}

/// A value of the app's CRUD backend (PHP-CRUD-API over MySQL), as loose as it serves them:
/// numbers may come as strings (DECIMAL, BIGINT) and booleans as 0/1.
enum AppValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    indirect case list([AppValue])
    indirect case object([String: AppValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([AppValue].self) {
            self = .list(value)
        } else {
            self = .object(try container.decode([String: AppValue].self))
        }
    }
}

/// One row of one table of the dump, with readers that name the row and the column in what they
/// refuse.
struct AppRecord: Sendable {
    let table: String
    let fields: [String: AppValue]

    /// The row as the app names it, for messages: its id as served.
    var label: String {
        let id: String =
            switch fields["id"] ?? .null {
            case .number(let value): value.rounded() == value ? String(Int(value)) : String(value)
            case .string(let value): value
            default: "sans id"
            }
        return "\(table) \(id)"
    }

    func problem(_ column: String, _ what: String) -> String {
        "\(label) : colonne « \(column) » \(what)"
    }

    func isPresent(_ column: String) -> Bool {
        switch fields[column] ?? .null {
        case .null: false
        case .string(let text): !text.trimmingCharacters(in: .whitespaces).isEmpty
        default: true
        }
    }

    func optionalInt(_ column: String) throws(ImportRefused) -> Int? {
        switch fields[column] ?? .null {
        case .null: return nil
        case .number(let value) where value.rounded() == value && abs(value) < 1e15: return Int(value)
        case .string(let text) where text.trimmingCharacters(in: .whitespaces).isEmpty: return nil
        case .string(let text):
            if let value = Int(text.trimmingCharacters(in: .whitespaces)) { return value }
        default: break
        }
        throw ImportRefused(lines: [problem(column, "n'est pas un entier")])
    }

    func int(_ column: String) throws(ImportRefused) -> Int {
        guard let value = try optionalInt(column) else { throw ImportRefused(lines: [problem(column, "manque")]) }
        return value
    }

    func int(_ column: String, default fallback: Int) throws(ImportRefused) -> Int {
        try optionalInt(column) ?? fallback
    }

    /// A column the app fills with JSON, served as the text the phone wrote or as JSON itself.
    func jsonList(_ column: String) throws(ImportRefused) -> [AppValue] {
        switch fields[column] ?? .null {
        case .null: return []
        case .list(let items): return items
        case .string(let text) where text.trimmingCharacters(in: .whitespaces).isEmpty: return []
        case .string(let text):
            if let items = try? JSONDecoder().decode([AppValue].self, from: Data(text.utf8)) { return items }
        default: break
        }
        throw ImportRefused(lines: [problem(column, "n'est pas une liste JSON")])
    }

    func optionalString(_ column: String) throws(ImportRefused) -> String? {
        switch fields[column] ?? .null {
        case .null: return nil
        case .string(let text): return text.isEmpty ? nil : text
        case .number(let value): return value.rounded() == value ? String(Int(value)) : String(value)
        default: throw ImportRefused(lines: [problem(column, "n'est pas un texte")])
        }
    }

    func string(_ column: String) throws(ImportRefused) -> String {
        guard let value = try optionalString(column), !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ImportRefused(lines: [problem(column, "manque")])
        }
        return value
    }

    func bool(_ column: String, default fallback: Bool) throws(ImportRefused) -> Bool {
        switch fields[column] ?? .null {
        case .null: return fallback
        case .bool(let value): return value
        case .number(0), .string("0"), .string("false"): return false
        case .number(1), .string("1"), .string("true"): return true
        default: throw ImportRefused(lines: [problem(column, "n'est pas un booléen")])
        }
    }

    /// MySQL's `YYYY-MM-DD HH:MM:SS`, which the app writes in UTC (`toISOString`), or ISO 8601;
    /// MySQL's zero date is no date.
    func date(_ column: String) throws(ImportRefused) -> Date? {
        guard let text = try optionalString(column)?.trimmingCharacters(in: .whitespaces) else { return nil }
        if text.hasPrefix("0000-00-00") { return nil }
        if let date = Self.mysql.date(from: text) ?? JSONCoding.parse(text) { return date }
        throw ImportRefused(lines: [problem(column, "n'est pas une date (« \(text.prefix(40)) »)")])
    }

    private static let mysql: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter
    }()

    /// An id the app keyed as an integer or as a UUID (its characters are UUIDs made on the phone),
    /// as this server keys the row: the UUID itself, or one derived from the table and the integer.
    func uuidKey(_ column: String, table keyTable: String) throws(ImportRefused) -> UUID? {
        switch fields[column] ?? .null {
        case .null: return nil
        case .string(let text) where text.trimmingCharacters(in: .whitespaces).isEmpty: return nil
        case .string(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if let uuid = UUID(uuidString: trimmed) { return uuid }
            if let number = Int(trimmed) { return AppIDs.uuid(keyTable, number) }
        case .number(let value) where value.rounded() == value: return AppIDs.uuid(keyTable, Int(value))
        default: break
        }
        throw ImportRefused(lines: [problem(column, "n'est ni un entier ni un UUID")])
    }
}

/// How the app's ids become this server's: integer keys stay the same integers (users,
/// scenarios, parties); a table this server keys by UUID keeps a UUID id as it is and turns an
/// integer one into a UUID derived from the table's name and the integer, the same at every run.
enum AppIDs {
    static func uuid(_ table: String, _ id: Int) -> UUID {
        var bytes = Array(SHA256.hash(data: Data("etrange-france-app/\(table)/\(id)".utf8)).prefix(16))
        // RFC 9562 version 8 (custom), variant 10: a valid UUID no random one can equal.
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
}

/// The JSON files of a dump: `TABLE.json` per table, each `{"records": […]}` as the app's CRUD
/// backend lists a table (`GET /api/records/TABLE`).
struct AppDump: Sendable {
    /// The app's tables this server takes rows from, in the order they are loaded.
    static let tables = [
        "users", "scenarios", "parties", "participants", "characters", "character_skills", "character_capacites",
        "desk", "sessions", "session_participants",
    ]
    /// The app's reference tables, read only for the names a character's ids point to.
    static let referenceTables = ["professions", "skills", "hobbies", "voies_etranges", "capacites"]

    var records: [String: [AppRecord]]

    func rows(_ table: String) -> [AppRecord] { records[table] ?? [] }

    /// Every file of `folder` that names a known table; a missing one is an empty table. A file
    /// that is not the app's JSON is refused.
    static func read(_ folder: String) throws -> AppDump {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw OperatorError("le dossier « \(folder) » n'existe pas")
        }
        struct Listing: Decodable {
            let records: [[String: AppValue]]
        }
        var records: [String: [AppRecord]] = [:]
        var problems: [String] = []
        for table in tables + referenceTables {
            let path = (folder as NSString).appendingPathComponent(table + ".json")
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            do {
                let listing = try JSONDecoder().decode(Listing.self, from: data)
                records[table] = listing.records.map { AppRecord(table: table, fields: $0) }
            } catch {
                problems.append("\(table) : « \(table).json » n'est pas une liste {\"records\": […]} de l'application")
            }
        }
        guard problems.isEmpty else { throw ImportRefused(lines: problems) }
        guard !records.isEmpty else {
            throw OperatorError(
                "le dossier « \(folder) » ne contient aucun fichier de table (users.json, parties.json…)")
        }
        return AppDump(records: records)
    }
}
