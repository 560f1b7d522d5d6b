import Vapor

extension Request {
    /// One value of the query string, `%XX` and `+` decoded; the last one when the name repeats,
    /// and nil for a name without `=`, as Vapor's decoder reads them. Vapor's `query[_:at:]` parses
    /// the whole query into a tree at every read: 5 % of the session list's time (docs/benchmarks-history.md).
    /// A value whose escapes do not decode is given as sent, so the field's own check names it.
    func queryValue(_ name: String) -> String? {
        guard let query = url.query, !query.isEmpty else { return nil }
        var found: Substring?
        for pair in query.split(separator: "&") {
            guard let equals = pair.firstIndex(of: "=") else { continue }
            if Self.decoded(pair[..<equals]) == name {
                found = pair[pair.index(after: equals)...]
            }
        }
        return found.map(Self.decoded)
    }

    private static func decoded(_ text: Substring) -> String {
        guard text.contains(where: { $0 == "%" || $0 == "+" }) else { return String(text) }
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
