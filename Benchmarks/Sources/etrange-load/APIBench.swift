import Foundation

/// The HTTP endpoints against the server's own ceiling (`GET /health`), with wrk: each endpoint
/// runs between two `/health` runs of the same length, and is reported as a ratio of their mean.
/// Each endpoint first runs once unmeasured as far as the ratio goes, reported as `cold`: its
/// requests carry thousands of tokens, each verified in the database the first time and then
/// cached for a minute. The measured run that follows is the steady state of a server whose
/// clients call more often than that (a phone's heartbeat every 15 to 20 s).
struct APIBench {
    let seed: SeedFile
    let host: String
    let port: Int
    let seconds: Int
    let connections: Int
    let threads: Int
    let workDirectory: URL

    struct Endpoint {
        let name: String
        /// (method, path, token) per request; wrk cycles through them.
        let requests: [(String, String, String?)]
        /// A JSON body every request carries.
        var body: String? = nil
    }

    func endpoints() -> [Endpoint] {
        let sessions = seed.sessions.prefix(1000)
        return [
            Endpoint(name: "health", requests: [("GET", "/health", nil)]),
            Endpoint(
                name: "sessions_list",
                requests: sessions.map { ("GET", "/api/sessions?partie_id=\($0.partieId)", $0.members[0].token) }),
            Endpoint(
                name: "presence_get",
                requests: sessions.map { ("GET", "/api/sessions/\($0.id)/presence", $0.members[1].token) }),
            // Every player of the first sessions, each beating on their own session.
            Endpoint(
                name: "heartbeat",
                requests: sessions.flatMap { session in
                    session.members.map { ("POST", "/api/sessions/\(session.id)/presence", $0.token) }
                }),
            // A chat line by every member of the first sessions, in turn: each request is a
            // committed line, so its rate is the write path's (#29), closed loop.
            Endpoint(
                name: "chat_line",
                requests: sessions.flatMap { session in
                    session.members.map { ("POST", "/api/sessions/\(session.id)/messages", $0.token) }
                },
                body: #"{"body":"Une ligne du banc d'essai"}"#),
        ]
    }

    func script(for endpoint: Endpoint) throws -> URL {
        var lua = "local requests = {}\ninit = function(args)\n"
        let body = endpoint.body.map { "[[\($0)]]" } ?? "nil"
        let contentType = endpoint.body == nil ? "" : #", ["Content-Type"] = "application/json""#
        for (method, path, token) in endpoint.requests {
            let headers = token.map { #"{["Authorization"] = "Bearer \#($0)""# + contentType + "}" } ?? "{}"
            lua += #"  table.insert(requests, wrk.format("\#(method)", "\#(path)", \#(headers), \#(body)))"# + "\n"
        }
        lua += """
              counter = math.random(#requests)
            end
            request = function()
              counter = counter % #requests + 1
              return requests[counter]
            end

            """
        let url = workDirectory.appendingPathComponent("wrk-\(endpoint.name).lua")
        try lua.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    struct WrkResult {
        let requestsPerSecond: Double
        let latencyP50: String
        let latencyP99: String
        let errors: Int
        let raw: String
    }

    func wrk(_ endpoint: Endpoint) throws -> WrkResult {
        let script = try script(for: endpoint)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
        process.arguments = [
            "-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script.path,
            "http://\(host):\(port)",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        func value(after prefix: String) -> String? {
            text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(prefix) }
                .map {
                    $0.trimmingCharacters(in: .whitespaces).dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
                }
        }
        let rps = value(after: "Requests/sec:").flatMap(Double.init) ?? 0
        let non2xx = value(after: "Non-2xx or 3xx responses:").flatMap(Int.init) ?? 0
        let socketErrors =
            value(after: "Socket errors:").map { line in
                line.split(separator: ",").compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
            } ?? 0
        return WrkResult(
            requestsPerSecond: rps, latencyP50: value(after: "50%") ?? "?", latencyP99: value(after: "99%") ?? "?",
            errors: non2xx + socketErrors, raw: text)
    }

    func run() throws -> [String: Any] {
        let all = endpoints()
        let health = all[0]
        var result: [String: Any] = ["seconds_per_run": seconds, "connections": connections, "threads": threads]
        var previousHealth = try wrk(health)
        var healthRuns = [previousHealth.requestsPerSecond]
        for endpoint in all.dropFirst() {
            let cold = try wrk(endpoint)
            let measured = try wrk(endpoint)
            let nextHealth = try wrk(health)
            healthRuns.append(nextHealth.requestsPerSecond)
            let ceiling = (previousHealth.requestsPerSecond + nextHealth.requestsPerSecond) / 2
            result[endpoint.name] =
                [
                    "requests_per_second": measured.requestsPerSecond, "p50": measured.latencyP50,
                    "p99": measured.latencyP99,
                    "errors": measured.errors, "health_ceiling": ceiling,
                    "ratio": ceiling > 0 ? measured.requestsPerSecond / ceiling : 0,
                    "cold_requests_per_second": cold.requestsPerSecond, "cold_errors": cold.errors,
                    "cold_ratio": ceiling > 0 ? cold.requestsPerSecond / ceiling : 0,
                ] as [String: Any]
            FileHandle.standardError.write(
                Data(
                    "[api] \(endpoint.name): \(measured.requestsPerSecond) req/s (cold \(cold.requestsPerSecond)) vs /health \(ceiling) (errors \(measured.errors + cold.errors))\n"
                        .utf8))
            previousHealth = nextHealth
        }
        result["health"] = [
            "requests_per_second_runs": healthRuns, "p50": previousHealth.latencyP50, "p99": previousHealth.latencyP99,
        ]
        return result
    }
}
