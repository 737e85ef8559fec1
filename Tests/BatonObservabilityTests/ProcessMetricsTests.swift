import BatonObservability
import Foundation
import Prometheus
import Testing

@Suite struct ProcessMetricsTests {
    /// A command name with spaces and a parenthesis does not shift the fields.
    @Test func aStatLineIsReadPastItsCommandName() throws {
        let stat =
            "4242 (baton (worker) x) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 50 0 0 20 0 7 0 1000 123456789 2048 "
            + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0"
        let reading = try #require(
            ProcessMetrics.parse(stat: stat, clockTicksPerSecond: 100, pageBytes: 4096, bootTimeSeconds: 1_700_000_000))
        #expect(reading.cpuSeconds == 3)  // (250 + 50) ticks
        #expect(reading.threads == 7)
        #expect(reading.startTimeSeconds == 1_700_000_010)  // boot + 1000 ticks
        #expect(reading.virtualMemoryBytes == 123_456_789)
        #expect(reading.residentMemoryBytes == 2048 * 4096)
        #expect(
            ProcessMetrics.parse(stat: "garbage", clockTicksPerSecond: 100, pageBytes: 4096, bootTimeSeconds: 0) == nil)
    }

    /// This process, read through /proc: the gauges a scrape shows, with sane values.
    @Test func theGaugesOfThisProcessAreSet() throws {
        let registry = PrometheusCollectorRegistry()
        ProcessMetrics.update(registry)
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        let text = String(decoding: buffer, as: UTF8.self)
        for name in [
            "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
            "process_start_time_seconds", "process_open_fds", "process_max_fds", "process_threads",
        ] {
            #expect(
                text.contains("\n\(name) ") || text.hasPrefix("\(name) ") || text.contains("# TYPE \(name) gauge"),
                "\(name)")
        }
        let resident = text.split(separator: "\n").first { $0.hasPrefix("process_resident_memory_bytes ") }
        let bytes = resident.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        #expect(bytes > 1_000_000)  // a Swift test process holds megabytes
        let started = text.split(separator: "\n").first { $0.hasPrefix("process_start_time_seconds ") }
        let seconds = started.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        #expect(abs(seconds - Date().timeIntervalSince1970) < 86_400 * 30)
    }
}
