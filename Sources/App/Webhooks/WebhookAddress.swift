import Foundation

/// Where a webhook's address sends a delivery, read as the HTTP client reads it.
struct WebhookTarget: Sendable {
    enum Host: Sendable, Equatable {
        case address(IPAddress)
        /// A DNS name, lowercased; resolved at every delivery.
        case name(String)
    }

    let host: Host
    /// The host exactly as the HTTP client takes it from the URL: the key it looks its
    /// resolution up under.
    let clientHost: String
    let port: Int

    /// Refuses what is not a plain http(s) address with a host, and any host that is neither a
    /// strict IP literal nor a DNS name, so that no other program reads it as another address.
    init(_ text: String) throws {
        guard text.count <= 2048, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let raw = url.host, !raw.isEmpty, url.user == nil,
            url.password == nil
        else {
            throw AppError.invalid(
                field: "url",
                reason: "une adresse http(s) complète est attendue, par exemple https://discord.com/api/webhooks/….")
        }
        port = url.port ?? (scheme == "https" ? 443 : 80)
        // Beyond 65535, NIO traps turning the port into a socket address: a crash, not a refusal.
        guard (1...65535).contains(port) else {
            throw AppError.invalid(field: "url", reason: "le port doit être compris entre 1 et 65535.")
        }
        clientHost = raw.hasPrefix("[") && raw.hasSuffix("]") ? String(raw.dropFirst().dropLast()) : raw
        let lowered = clientHost.lowercased()
        if lowered.contains(":") {
            guard let address = IPAddress(literal: lowered) else {
                throw AppError.invalid(
                    field: "url", reason: "l'adresse IPv6 est illisible (entre crochets, sans zone).")
            }
            host = .address(address)
            return
        }
        let labels = lowered.split(separator: ".", omittingEmptySubsequences: false)
        guard
            labels.allSatisfy({ label in
                !label.isEmpty && label.count <= 63 && label.allSatisfy(\.isHostCharacter)
            }), lowered.count <= 253
        else {
            throw AppError.invalid(
                field: "url",
                reason:
                    "le nom d'hôte est illisible : lettres, chiffres, tirets et points (les noms accentués s'écrivent en punycode, xn--…)."
            )
        }
        // A name whose last label is a number is an IPv4 address to the system's resolver,
        // in whatever base: only the strict form, which is checked as such, is let through.
        let last = labels[labels.count - 1]
        if last.allSatisfy(\.isASCIIDigit) || (last.hasPrefix("0x") && last.dropFirst(2).allSatisfy(\.isHexDigit)) {
            guard let address = IPAddress(literal: lowered), case .v4 = address else {
                throw AppError.invalid(
                    field: "url",
                    reason:
                        "une adresse IP s'écrit en quatre nombres décimaux sans zéro en tête, par exemple 198.51.100.7."
                )
            }
            host = .address(address)
            return
        }
        host = .name(lowered)
    }

    /// Names that only ever mean the server's own machine or network.
    var isLocalName: Bool {
        guard case .name(let name) = host else { return false }
        return name == "localhost"
            || [".localhost", ".local", ".internal", ".home.arpa"].contains { name.hasSuffix($0) }
    }
}

extension Swift.Character {
    fileprivate var isHostCharacter: Bool { isASCIIDigit || (isASCII && isLowercase) || self == "-" || self == "_" }
}
