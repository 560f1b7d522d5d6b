import Foundation
import Testing

@testable import App

@Suite struct ConfigTests {
    @Test func defaultsNeedNoSetUp() throws {
        let config = try AppConfig.fromEnvironment([:])
        #expect(config.database == .sqlite(path: "data/etrange.sqlite"))
        #expect(config.publicURL == "http://127.0.0.1:8080")
        #expect(config.tokenLifetime == 30 * 24 * 3600)
        #expect(config.bcryptCost == 12)
        #expect(config.presenceTimeout == 60)
    }

    @Test func databaseURLs() throws {
        #expect(
            try AppConfig.parseDatabaseURL("sqlite:///var/lib/etrange/db.sqlite")
                == .sqlite(path: "/var/lib/etrange/db.sqlite"))
        #expect(try AppConfig.parseDatabaseURL("sqlite://data/autre.sqlite") == .sqlite(path: "data/autre.sqlite"))
        #expect(
            try AppConfig.parseDatabaseURL("postgres://u:p@h:5432/db") == .postgres(url: "postgres://u:p@h:5432/db"))
        #expect(try AppConfig.parseDatabaseURL("postgresql://h/db") == .postgres(url: "postgresql://h/db"))
        #expect(throws: (any Error).self) { try AppConfig.parseDatabaseURL("mysql://h/db") }
        #expect(throws: (any Error).self) { try AppConfig.parseDatabaseURL("sqlite://") }
    }

    @Test func unusableValuesStopTheStartNamingTheVariable() {
        for (name, value) in [
            ("ETRANGE_BCRYPT_COST", "3"), ("ETRANGE_PRESENCE_TIMEOUT", "soixante"),
            ("ETRANGE_PUBLIC_URL", "ftp://x"), ("ETRANGE_DB_SCHEMA", "Robert'); DROP"),
            ("ETRANGE_TOKEN_TTL_HOURS", "0"), ("ETRANGE_IDLE_AFTER", "5"),
            ("ETRANGE_WEBHOOK_ALLOW_PRIVATE", "oui"), ("ETRANGE_LOG_FORMAT", "xml"),
            ("ETRANGE_TIMEZONE", "Europe/Atlantide"), ("ETRANGE_RATE_LIMITS", "parfois"),
            ("ETRANGE_DB_POOL_TIMEOUT", "0"), ("ETRANGE_WEBHOOK_DELIVERY", "1"),
            ("ETRANGE_SQLITE_SYNC", "toujours"),
        ] {
            do {
                _ = try AppConfig.fromEnvironment([name: value])
                Issue.record("\(name)=\(value) was accepted")
            } catch {
                #expect(String(describing: error).hasPrefix(name))
            }
        }
    }

    @Test func variablesAreRead() throws {
        let config = try AppConfig.fromEnvironment([
            "DATABASE_URL": "postgres://x@127.0.0.1/db", "ETRANGE_DB_SCHEMA": "etrange",
            "ETRANGE_PUBLIC_URL": "https://jeu.example/",
            "ETRANGE_TOKEN_TTL_HOURS": "2", "ETRANGE_PRESENCE_TIMEOUT": "90", "ETRANGE_LIVE_QUEUE": "64",
        ])
        #expect(config.database == .postgres(url: "postgres://x@127.0.0.1/db"))
        #expect(config.databaseSchema == "etrange")
        #expect(config.publicURL == "https://jeu.example")
        #expect(config.tokenLifetime == 7200 && config.presenceTimeout == 90 && config.liveQueueLimit == 64)

        let operations = try AppConfig.fromEnvironment([
            "ETRANGE_IDLE_AFTER": "120", "ETRANGE_WEBHOOK_ALLOW_PRIVATE": "on", "ETRANGE_METRICS_TOKEN": "t0ken",
            "ETRANGE_LOG_FORMAT": "json", "ETRANGE_TIMEZONE": "America/Montreal", "ETRANGE_RATE_LIMITS": "off",
            "ETRANGE_DB_POOL_TIMEOUT": "45", "ETRANGE_WEBHOOK_DELIVERY": "off", "ETRANGE_SQLITE_SYNC": "full",
        ])
        #expect(
            operations.idleAfter == 120 && operations.webhooksMayReachPrivateAddresses
                && operations.metricsToken == "t0ken")
        #expect(
            operations.jsonLogs && operations.timeZone.identifier == "America/Montreal" && !operations.limits.enabled)
        #expect(operations.databasePoolTimeout == 45 && !operations.webhookDelivery && operations.sqliteFullSync)
        let defaults = try AppConfig.fromEnvironment([:])
        #expect(defaults.idleAfter == 300 && !defaults.webhooksMayReachPrivateAddresses && defaults.metricsToken == nil)
        #expect(!defaults.jsonLogs && defaults.timeZone.identifier == "Europe/Paris" && defaults.limits.enabled)
        #expect(!defaults.sqliteFullSync && defaults.effectivePoolSize == 4)
    }
}
