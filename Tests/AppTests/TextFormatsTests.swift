import EtrangeDomain
import Foundation
import Testing
import Vapor

@testable import App

/// Texts whose exact form clients, log readers or stored rows depend on.
@Suite struct TextFormatsTests {
    /// Every date the API writes: UTC, to the second (truncated, never rounded up), no fraction.
    @Test func datesAreWrittenToTheSecondInUTC() {
        let edges: [(TimeInterval, String)] = [
            (0, "1970-01-01T00:00:00Z"), (-1, "1969-12-31T23:59:59Z"), (-0.5, "1969-12-31T23:59:59Z"),
            (0.999, "1970-01-01T00:00:00Z"), (59, "1970-01-01T00:00:59Z"), (86_399.9, "1970-01-01T23:59:59Z"),
            (86_400, "1970-01-02T00:00:00Z"), (-86_400, "1969-12-31T00:00:00Z"), (-86_401, "1969-12-30T23:59:59Z"),
            (951_782_400, "2000-02-29T00:00:00Z"), (951_868_799, "2000-02-29T23:59:59Z"),
            (1_709_164_800, "2024-02-29T00:00:00Z"),
            // 2100 is not a leap year: 28 February is followed by 1 March.
            (4_107_542_399, "2100-02-28T23:59:59Z"), (4_107_542_400, "2100-03-01T00:00:00Z"),
            // The Gregorian calendar's first day, and the Julian day before it, as Foundation's calendar has it.
            (-12_219_292_800, "1582-10-15T00:00:00Z"), (-12_219_292_801, "1582-10-04T23:59:59Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"), (253_402_300_800, "10000-01-01T00:00:00Z"),
            (1_737_403_200, "2025-01-20T20:00:00Z"),
        ]
        for (seconds, text) in edges {
            #expect(JSONCoding.format(Date(timeIntervalSince1970: seconds)) == text, "\(seconds)")
        }
        // Seeded, so a failure names a date that fails again: each written date is read back, as a
        // client would send it, to the second it was truncated to.
        var random = SplitMix64(seed: 0x4554_5241_4E47_4521)
        for _ in 0..<4000 {
            let mixed = random.next()
            let seconds = Double(Int64(mixed % 253_000_000_000) - 12_000_000_000) + Double(mixed % 1000) / 1000
            let date = Date(timeIntervalSince1970: seconds)
            #expect(
                JSONCoding.parse(JSONCoding.format(date)).map(\.timeIntervalSince1970) == seconds.rounded(.down),
                "\(seconds)")
        }
    }

    /// Tokens are stored as the lowercase hexadecimal of their SHA-256: a stored token must keep
    /// matching whichever code writes the digest.
    @Test func tokenDigestsAreLowercaseHexadecimal() {
        // FIPS 180-2's example: the digest of "abc".
        #expect(UserToken.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func durationsAreWrittenInTenthsOfAMillisecond() {
        #expect(AccessLogMiddleware.milliseconds(.zero) == "0.0")
        #expect(AccessLogMiddleware.milliseconds(.microseconds(49)) == "0.0")
        #expect(AccessLogMiddleware.milliseconds(.microseconds(50)) == "0.1")
        #expect(AccessLogMiddleware.milliseconds(.microseconds(12_340)) == "12.3")
        #expect(AccessLogMiddleware.milliseconds(.microseconds(12_360)) == "12.4")
        #expect(AccessLogMiddleware.milliseconds(.microseconds(999_960)) == "1000.0")
        #expect(AccessLogMiddleware.milliseconds(.seconds(2)) == "2000.0")
    }
}
