@testable import App
import EtrangeDomain
import Foundation
import Testing
import Vapor

/// The texts hot paths write by hand instead of through Foundation's formatters.
@Suite struct TextFormatsTests {
    /// Foundation's format style, which `JSONCoding.format` replaces on the hot paths.
    static func foundation(_ date: Date) -> String {
        date.formatted(JSONCoding.foundationStyle)
    }

    @Test func datesAreWrittenAsFoundationWritesThem() {
        let edges: [TimeInterval] = [
            0, -1, -0.5, 0.999, 59, 86_399.9, 86_400, -86_400, -86_401,
            951_782_400, 951_868_799, 1_709_164_800, // 29 February 2000 and 2024
            4_107_542_399, 4_107_542_400, // the end of 2099, which is not a leap year
            -12_219_292_800, -12_219_292_801, 253_402_300_799, 253_402_300_800, // the Gregorian calendar's first day, 9999, beyond
            1_737_403_200, // 2025-01-20T20:00:00Z
        ]
        for seconds in edges {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(JSONCoding.format(date) == Self.foundation(date), "\(seconds)")
        }
        // Seeded, so a failure names a date that fails again.
        var random = SplitMix64(seed: 0x4554_5241_4E47_4521)
        for _ in 0..<20_000 {
            let mixed = random.next()
            let seconds = Double(Int64(mixed % 316_000_000_000) - 63_000_000_000) + Double(mixed % 1000) / 1000
            let date = Date(timeIntervalSince1970: seconds)
            #expect(JSONCoding.format(date) == Self.foundation(date), "\(seconds)")
            // One in five of those written by hand is read back, as a client would send it.
            if (0..<1000).contains(mixed % 5000), (-12_219_292_800..<253_402_300_800).contains(seconds) {
                #expect(JSONCoding.parse(JSONCoding.format(date)).map(\.timeIntervalSince1970) == seconds.rounded(.down), "\(seconds)")
            }
        }
        #expect(JSONCoding.format(Date(timeIntervalSince1970: 1_737_403_200)) == "2025-01-20T20:00:00Z")
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
