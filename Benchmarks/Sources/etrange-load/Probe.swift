import Foundation

/// The server process as Linux accounts for it: resident memory and CPU time.
struct ProcessSample {
    let rssKiB: Int
    let cpuTicks: Int

    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    static func read(pid: Int32) -> ProcessSample? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let rssLine = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let rss = Int(rssLine.split(separator: " ", omittingEmptySubsequences: true)[1]),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3, utime 14 and stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return ProcessSample(rssKiB: rss, cpuTicks: user + system)
    }

    /// The sum over several processes (two server instances count as one service).
    static func read(pids: [Int32]) -> ProcessSample? {
        var rss = 0
        var ticks = 0
        for pid in pids {
            guard let sample = read(pid: pid) else { return nil }
            rss += sample.rssKiB
            ticks += sample.cpuTicks
        }
        return ProcessSample(rssKiB: rss, cpuTicks: ticks)
    }
}

/// The whole machine's CPU, to tell whether anything else was running.
struct MachineSample {
    let busy: Int
    let total: Int

    static func read() -> MachineSample {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first
        else { return MachineSample(busy: 0, total: 0) }
        let values = line.split(separator: " ").dropFirst().compactMap { Int($0) }
        let idle = values.count > 4 ? values[3] + values[4] : 0
        let total = values.reduce(0, +)
        return MachineSample(busy: total - idle, total: total)
    }

    /// Busy fraction of all cores between two samples, 0...1.
    static func busy(from start: MachineSample, to end: MachineSample) -> Double {
        let total = end.total - start.total
        return total > 0 ? Double(end.busy - start.busy) / Double(total) : 0
    }
}

/// CPU used by `pids` between two samples, in cores (1.0 = one core busy all the time).
func cores(from start: ProcessSample, to end: ProcessSample, seconds: Double) -> Double {
    Double(end.cpuTicks - start.cpuTicks) / ProcessSample.ticksPerSecond / seconds
}
