import Foundation
import Histogram

/// A worker process (this same executable, `worker` subcommand) and its command pipe. The file
/// descriptor limit of one process (20,000 here) is below the sockets of a full run, hence the
/// several processes.
final class WorkerProcess {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffer = Data()

    init(arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    func send(_ command: String) {
        input.fileHandleForWriting.write(Data((command + "\n").utf8))
    }

    /// The worker's next answer; blocking is fine here, the coordinator only waits.
    func answer() throws -> [String: Any] {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[(newline + 1)...])
                guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
                    throw LoadError("worker said \(String(decoding: line, as: UTF8.self))")
                }
                return object
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw LoadError("worker \(process.processIdentifier) exited") }
            buffer.append(chunk)
        }
    }
}

struct Coordinator {
    let seedPath: String
    let seed: SeedFile
    let targets: String
    let serverPIDs: [Int32]
    let workers: Int
    let connections: Int
    let online: Int
    let hold: Double
    let rate: Double
    let duration: Double
    let drawEvery: Int
    let sourcesPerWorker: Int

    func log(_ text: String) {
        FileHandle.standardError.write(Data("[coordinator] \(text)\n".utf8))
    }

    func sample() throws -> ProcessSample {
        guard let sample = ProcessSample.read(pids: serverPIDs) else {
            throw LoadError("server process \(serverPIDs) not readable")
        }
        return sample
    }

    func run() async throws -> [String: Any] {
        guard (1...7).contains(online) else { throw LoadError("--online takes 1 to 7 members a session") }
        let sessionCount = connections / online
        guard sessionCount <= seed.sessions.count else {
            throw LoadError(
                "\(connections) connections need \(sessionCount) sessions; the seed has \(seed.sessions.count)")
        }
        var result: [String: Any] = [
            "connections_requested": sessionCount * online, "sessions": sessionCount, "online_per_session": online,
            "workers": workers,
            "targets": targets,
        ]
        let processes = try (0..<workers).map { shard in
            try WorkerProcess(arguments: [
                "worker", "--seed", seedPath, "--sessions", String(sessionCount), "--online", String(online), "--shard",
                "\(shard)/\(workers)",
                "--targets", targets, "--first-source", String(2 + shard * sourcesPerWorker), "--sources",
                String(sourcesPerWorker),
            ])
        }
        defer {
            for worker in processes { worker.send("close") }
            for worker in processes { worker.process.waitUntilExit() }
        }
        func all(_ command: String) throws -> [[String: Any]] {
            for worker in processes { worker.send(command) }
            return try processes.map { try $0.answer() }
        }
        _ = try all("ready")

        // Density: the server's memory before and after the sockets, and its CPU while they idle.
        let baseline = try sample()
        result["rss_baseline_kib"] = baseline.rssKiB
        log("baseline RSS \(baseline.rssKiB) KiB; opening \(sessionCount * online) live connections")
        let opened = try all("open")
        let openedCount = opened.reduce(0) { $0 + ($1["opened"] as? Int ?? 0) }
        result["connections_opened"] = openedCount
        result["connections_refused"] = opened.reduce(0) { $0 + ($1["refused"] as? Int ?? 0) }
        result["connection_errors"] = opened.reduce(0) { $0 + ($1["errors"] as? Int ?? 0) }
        result["open_seconds"] = opened.map { $0["seconds"] as? Double ?? 0 }.max() ?? 0
        if let first = opened.compactMap({ $0["first_error"] as? String }).first(where: { !$0.isEmpty }) {
            result["first_open_error"] = first
        }
        log("opened \(openedCount) in \(result["open_seconds"]!) s; settling 10 s")
        try await Task.sleep(nanoseconds: 10_000_000_000)

        let restStart = try sample()
        let machineStart = MachineSample.read()
        let clientStart = ProcessSample.read(pids: processes.map(\.process.processIdentifier))
        log("holding \(Int(hold)) s")
        try await Task.sleep(nanoseconds: UInt64(hold * 1e9))
        let restEnd = try sample()
        let machineEnd = MachineSample.read()
        let clientEnd = ProcessSample.read(pids: processes.map(\.process.processIdentifier))
        let held = try all("status")
        let stillOpen = held.reduce(0) { $0 + ($1["open"] as? Int ?? 0) }
        result["connections_held"] = stillOpen
        result["closed_while_held"] = held.reduce(0) { $0 + ($1["closed_by_server"] as? Int ?? 0) }
        result["rss_with_connections_kib"] = restEnd.rssKiB
        result["rss_per_connection_kib"] =
            openedCount > 0 ? Double(restEnd.rssKiB - baseline.rssKiB) / Double(openedCount) : 0
        result["cpu_at_rest_cores"] = cores(from: restStart, to: restEnd, seconds: hold)
        result["machine_busy_at_rest"] = MachineSample.busy(from: machineStart, to: machineEnd)
        if let clientStart, let clientEnd {
            result["client_cpu_at_rest_cores"] = cores(from: clientStart, to: clientEnd, seconds: hold)
        }
        log(
            "held \(stillOpen); RSS \(restEnd.rssKiB) KiB; \(result["rss_per_connection_kib"]!) KiB/conn; CPU at rest \(result["cpu_at_rest_cores"]!) cores"
        )

        // Fan-out: each worker sends its share of the rate to its own sessions.
        if rate > 0 && duration > 0 {
            log("fan-out: \(rate) msg/s for \(Int(duration)) s, every \(drawEvery)th a draw")
            let fanStart = try sample()
            let machineFanStart = MachineSample.read()
            let clientFanStart = ProcessSample.read(pids: processes.map(\.process.processIdentifier))
            let started = Date()
            let reports = try all("fanout \(rate / Double(workers)) \(duration) \(drawEvery)")
            let sendingSeconds = reports.map { $0["sending_seconds"] as? Double ?? 0 }.max() ?? duration
            let fanEnd = try sample()
            let machineFanEnd = MachineSample.read()
            let clientFanEnd = ProcessSample.read(pids: processes.map(\.process.processIdentifier))
            let wall = Date().timeIntervalSince(started)
            result["fanout_rss_kib"] = fanEnd.rssKiB
            result["fanout_cpu_cores"] = cores(from: fanStart, to: fanEnd, seconds: wall)
            result["fanout_machine_busy"] = MachineSample.busy(from: machineFanStart, to: machineFanEnd)
            if let clientFanStart, let clientFanEnd {
                result["fanout_client_cpu_cores"] = cores(from: clientFanStart, to: clientFanEnd, seconds: wall)
            }
            result["fanout_rate_requested"] = rate
            result["fanout_sending_seconds"] = sendingSeconds
            for key in [
                "sent_chats", "sent_draws", "send_errors", "expected_deliveries", "received_deliveries", "lost",
                "duplicates_or_unexpected", "deliveries_to_others", "seq_gaps", "seq_missing", "out_of_order",
                "control_frames", "disconnected", "closed_by_server",
            ] {
                result[key] = reports.reduce(0) { $0 + ($1[key] as? Int ?? 0) }
            }
            var codes: [String: Int] = [:]
            for report in reports {
                for (code, count) in report["close_codes"] as? [String: Int] ?? [:] { codes[code, default: 0] += count }
            }
            result["close_codes"] = codes
            var statuses: [String: Int] = [:]
            for report in reports {
                for (status, count) in report["statuses"] as? [String: Int] ?? [:] {
                    statuses[status, default: 0] += count
                }
            }
            result["send_statuses"] = statuses
            let sent = (result["sent_chats"] as! Int) + (result["sent_draws"] as! Int)
            result["messages_per_second"] = Double(sent) / sendingSeconds
            result["deliveries_per_second"] = Double(result["received_deliveries"] as! Int) / sendingSeconds
            for key in ["chat_latency", "draw_latency", "post_latency"] {
                var merged = Histogram<UInt64>(
                    highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
                for report in reports {
                    if let histogram = (report[key] as? String).flatMap(decodeHistogram) { merged.add(histogram) }
                }
                result[key] = summary(merged)
            }
            var both = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
            for report in reports {
                for key in ["chat_latency", "draw_latency"] {
                    if let histogram = (report[key] as? String).flatMap(decodeHistogram) { both.add(histogram) }
                }
            }
            result["delivery_latency"] = summary(both)
            // Each worker counts seconds from its own start, a few milliseconds apart: close enough
            // to place a stall in time against the server's and the database's logs.
            var slowest: [Double] = []
            for report in reports {
                let series = report["slowest_post_by_second"] as? [Int] ?? []
                if slowest.count < series.count { slowest += Array(repeating: 0, count: series.count - slowest.count) }
                for (second, micros) in series.enumerated() {
                    slowest[second] = max(slowest[second], Double(micros) / 1000)
                }
            }
            result["slowest_post_ms_by_second"] = slowest
            result["fanout_started_at"] = ISO8601DateFormatter().string(from: started)
            log(
                "fan-out done: \(result["delivery_latency"]!) lost \(result["lost"]!) out of order \(result["out_of_order"]!)"
            )
        }
        return result
    }

    /// Milliseconds, from a histogram of microseconds.
    func summary(_ histogram: Histogram<UInt64>) -> [String: Any] {
        func ms(_ value: UInt64) -> Double { Double(value) / 1000 }
        return [
            "count": histogram.totalCount, "p50_ms": ms(histogram.valueAtPercentile(50)),
            "p99_ms": ms(histogram.valueAtPercentile(99)),
            "p999_ms": ms(histogram.valueAtPercentile(99.9)), "max_ms": ms(histogram.max),
            "mean_ms": histogram.mean / 1000,
        ]
    }
}
