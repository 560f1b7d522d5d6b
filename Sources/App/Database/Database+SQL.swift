import FluentKit
import SQLKit

extension Database {
    /// The same database as SQLKit sees it, for what Fluent cannot say (conditional and atomic
    /// writes, raw statements). Both drivers the server runs on, SQLite and PostgreSQL, are SQL
    /// databases; another one is a mistake in the configuration, not a request that can fail, so it
    /// stops the server with the driver's name rather than a bare failed cast.
    var sql: any SQLDatabase {
        if let reading = self as? ReadingDatabase { return reading.base.sql }
        guard let sql = self as? any SQLDatabase else {
            preconditionFailure(
                "\(type(of: self)) n'est pas une base SQL : le serveur ne tourne que sur SQLite ou PostgreSQL")
        }
        return sql
    }
}
