import Foundation
import Prometheus

#if canImport(Glibc)
    import Glibc
#endif

/// The process gauges Prometheus' own clients export (`process_cpu_seconds_total`,
/// `process_resident_memory_bytes`, …), read from `/proc/self` when `/metrics` is
/// scraped. swift-prometheus has none and swift-metrics-extras is not in the package
/// mirror, so these few lines are written here. Nothing is reported where `/proc` is
/// missing.
public enum ProcessMetrics {
    /// What `/proc/self/stat` says, in the units Prometheus wants.
    public struct Reading: Equatable, Sendable {
        public var cpuSeconds: Double
        public var threads: Int
        public var startTimeSeconds: Double
        public var virtualMemoryBytes: Double
        public var residentMemoryBytes: Double
    }

    /// Parses a `/proc/<pid>/stat` line. The command name, in parentheses, may hold
    /// spaces and parentheses itself: the fields are counted after its last `)`.
    public static func parse(
        stat: String, clockTicksPerSecond: Double, pageBytes: Double, bootTimeSeconds: Double
    ) -> Reading? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        // After the name: state is field 3, utime 14, stime 15, num_threads 20,
        // starttime 22, vsize 23 and rss 24 (proc(5)); index 0 here is field 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 21, let user = Double(fields[11]), let system = Double(fields[12]),
            let threads = Int(fields[17]), let start = Double(fields[19]), let virtual = Double(fields[20]),
            let resident = Double(fields[21])
        else { return nil }
        return Reading(
            cpuSeconds: (user + system) / clockTicksPerSecond, threads: threads,
            startTimeSeconds: bootTimeSeconds + start / clockTicksPerSecond, virtualMemoryBytes: virtual,
            residentMemoryBytes: resident * pageBytes)
    }

    /// Reads this process now and sets the gauges in `registry`.
    public static func update(_ registry: PrometheusCollectorRegistry) {
        let (ticks, page) = (sysconf(Int32(_SC_CLK_TCK)), sysconf(Int32(_SC_PAGESIZE)))
        guard ticks > 0, page > 0, let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let reading = parse(
                stat: stat, clockTicksPerSecond: Double(ticks), pageBytes: Double(page), bootTimeSeconds: bootTime())
        else { return }
        registry.makeGauge(name: "process_cpu_seconds_total", labels: []).set(reading.cpuSeconds)
        registry.makeGauge(name: "process_threads", labels: []).set(Double(reading.threads))
        registry.makeGauge(name: "process_start_time_seconds", labels: []).set(reading.startTimeSeconds)
        registry.makeGauge(name: "process_virtual_memory_bytes", labels: []).set(reading.virtualMemoryBytes)
        registry.makeGauge(name: "process_resident_memory_bytes", labels: []).set(reading.residentMemoryBytes)
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            registry.makeGauge(name: "process_open_fds", labels: []).set(Double(descriptors.count))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            registry.makeGauge(name: "process_max_fds", labels: []).set(Double(limit.rlim_cur))
        }
    }

    /// The `btime` line of `/proc/stat`: when the machine booted, in Unix seconds.
    private static func bootTime() -> Double {
        let stat = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8)) ?? ""
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }
}
