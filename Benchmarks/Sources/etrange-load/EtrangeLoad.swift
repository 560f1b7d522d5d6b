import ArgumentParser
import Foundation
import NIOPosix

@main
struct EtrangeLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "etrange-load",
        abstract: "Load tool for the Étrange France server: seeding, live connections, fan-out, API throughput.",
        subcommands: [Seed.self, Run.self, API.self, WorkerCommand.self])
}

/// Writes a JSON object to `path` (pretty, for people) and returns it.
func writeResult(_ object: [String: Any], to path: String?) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    if let path { try data.write(to: URL(fileURLWithPath: path)) }
    print(String(decoding: data, as: UTF8.self))
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Creates sessions of 6 players + MJ through the API, all started and seated.")

    @Option(help: "host:port of the server.") var target = "127.0.0.1:8080"
    @Option(help: "Sessions to create.") var sessions = 100
    @Option(help: "Sessions seeded at the same time.") var concurrency = 32
    @Option(help: "Where to write the seed file.") var out: String

    func run() async throws {
        let (host, port) = try parseTargets(target)[0]
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = HTTPClient(
            group: group, host: host, port: port, sources: try loopbackSources(first: 2, count: 2),
            connections: concurrency)
        let prefix = "b" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let started = Date()
        let seeded = try await Seeder(client: client, prefix: prefix).seed(count: sessions, concurrency: concurrency) {
            done in
            FileHandle.standardError.write(Data("[seed] \(done)/\(sessions)\n".utf8))
        }
        try SeedFile(target: target, sessions: seeded).save(out)
        FileHandle.standardError.write(
            Data("[seed] \(seeded.count) sessions in \(Int(Date().timeIntervalSince(started))) s -> \(out)\n".utf8))
        await client.close()
        try await group.shutdownGracefully()
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Density then fan-out, over several worker processes.")

    @Option(help: "Seed file from `seed`.") var seed: String
    @Option(help: "Comma-separated host:port; members alternate between them.") var targets = "127.0.0.1:8080"
    @Option(help: "Comma-separated server PIDs whose memory and CPU are sampled.") var serverPids: String
    @Option(help: "Worker processes (each stays under the file-descriptor limit).") var workers = 3
    @Option(help: "Live connections (--online per session).") var connections = 700
    @Option(
        help: "Members of each session online, the sender first (1 to 7): 1 measures the write path without fan-out.")
    var online = 7
    @Option(help: "Seconds to hold the connections idle.") var hold = 60.0
    @Option(help: "Messages per second in total during the fan-out (0 skips it).") var rate = 1000.0
    @Option(help: "Seconds of fan-out.") var duration = 60.0
    @Option(help: "Every n-th message is a public draw (0: chat only).") var drawEvery = 10
    @Option(help: "Loopback source addresses per worker.") var sourcesPerWorker = 2
    @Option(help: "Where to write the results (JSON).") var out: String?
    @Option(help: "A label stored in the results.") var label = ""

    func run() async throws {
        let pids = serverPids.split(separator: ",").compactMap { Int32($0) }
        let coordinator = Coordinator(
            seedPath: seed, seed: try SeedFile.load(seed), targets: targets, serverPIDs: pids, workers: workers,
            connections: connections, online: online, hold: hold, rate: rate, duration: duration,
            drawEvery: drawEvery, sourcesPerWorker: sourcesPerWorker)
        var result = try await coordinator.run()
        result["label"] = label
        try writeResult(result, to: out)
    }
}

struct API: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Session list, presence, heartbeats next to /health, with wrk.")

    @Option(help: "Seed file from `seed`.") var seed: String
    @Option(help: "host:port of the server.") var target = "127.0.0.1:8080"
    @Option(help: "Seconds per wrk run.") var seconds = 10
    @Option(help: "wrk connections.") var connections = 64
    @Option(help: "wrk threads.") var threads = 2
    @Option(help: "Where to write the results (JSON).") var out: String?
    @Option(help: "A label stored in the results.") var label = ""

    func run() async throws {
        let (host, port) = try parseTargets(target)[0]
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("etrange-load-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var result = try APIBench(
            seed: try SeedFile.load(seed), host: host, port: port, seconds: seconds,
            connections: connections, threads: threads, workDirectory: directory
        ).run()
        result["label"] = label
        try writeResult(result, to: out)
    }
}

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "One shard of `run` (started by it).", shouldDisplay: false)

    @Option var seed: String
    @Option var sessions: Int
    @Option var online: Int
    @Option(help: "i/n") var shard: String
    @Option var targets: String
    @Option var firstSource: Int
    @Option var sources: Int

    func run() async throws {
        let parts = shard.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2 else { throw LoadError("--shard i/n") }
        let worker = Worker(
            seed: try SeedFile.load(seed), sessionCount: sessions, online: online, shard: parts[0], shards: parts[1],
            targets: try parseTargets(targets), sources: try loopbackSources(first: firstSource, count: sources),
            httpConnections: 64)
        for await line in stdinLines() {
            let words = line.split(separator: " ")
            let answer: [String: Any]
            switch words.first {
            case "ready": answer = ["sessions": worker.sessions.count]
            case "open": answer = await worker.open(concurrency: 64)
            case "status": answer = worker.status()
            case "fanout" where words.count == 4:
                answer = await worker.fanout(
                    rate: Double(words[1]) ?? 0, seconds: Double(words[2]) ?? 0, drawEvery: Int(words[3]) ?? 0)
            case "close":
                await worker.close()
                return
            default: answer = ["error": "unknown command \(line)"]
            }
            FileHandle.standardOutput.write(Data((jsonLine(answer) + "\n").utf8))
        }
        await worker.close()
    }
}
