import ArgumentParser
import BatonContracts
import BatonHTTPClient
import Foundation

/// W4 of WORKLOADS.md: a scheduler holding many open workflows, all waiting for a
/// person, and an idle worker: memory and idle CPU of each process, and the status and
/// list API's latency at that size.
struct FootprintBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "w4", abstract: "Footprint with many workflows waiting for input (WORKLOADS.md W4).")

    @Option(name: .customLong("workflows")) var workflows = 10_000
    @Option(help: "Requests sent at once while submitting.") var submitters = 32
    @OptionGroup var stackOptions: StackBenchmarkOptions

    func run() async throws {
        let stack = try await stackOptions.makeStack()
        defer { stack.stop() }
        try await stack.startScheduler()
        let worker = try await stack.startWorker(concurrency: 16)
        let began = ContinuousClock.now
        let (baseURL, workflows, submitters) = (stack.baseURL, workflows, submitters)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<submitters {
                group.addTask {
                    for index in stride(from: lane, to: workflows, by: submitters) {
                        try await BenchStack.submit(
                            SubmitWorkflowRequest(id: "w4-\(index)", agent: "chain", input: ["steps": 2, "ask_at": 0]),
                            to: baseURL)
                    }
                }
            }
            try await group.waitForAll()
        }
        try await stack.waitFor(
            "SELECT count(*) AS n FROM workflows WHERE status = 'awaiting_input'", atLeast: workflows,
            timeout: .seconds(1800))
        let filled = began.duration(to: .now)
        guard let scheduler = stack.scheduler else { throw BenchError("no scheduler") }
        // Idle: nothing runs; read CPU over a quiet interval.
        try await Task.sleep(for: .seconds(3))
        let cpuBefore = (
            ProcStat.cpuSeconds(pid: scheduler.processIdentifier), ProcStat.cpuSeconds(pid: worker.processIdentifier)
        )
        try await Task.sleep(for: .seconds(10))
        let cpuAfter = (
            ProcStat.cpuSeconds(pid: scheduler.processIdentifier), ProcStat.cpuSeconds(pid: worker.processIdentifier)
        )
        let status = try await Self.latencies(count: 1000) { "/v1/workflows/w4-\(Int.random(in: 0..<workflows))" }
            .map { try await HTTPClient.send(HTTPRequest(url: stack.baseURL + $0, headers: BenchStack.authorization)) }
        let list = try await Self.latencies(count: 200) { "/v1/workflows?status=awaiting_input&limit=50" }
            .map { try await HTTPClient.send(HTTPRequest(url: stack.baseURL + $0, headers: BenchStack.authorization)) }
        let tableSize = try await stack.query(
            "SELECT pg_total_relation_size('workflows') + pg_total_relation_size('checkpoints') + pg_total_relation_size('workflow_events') AS n"
        )
        let report: [String: JSONValue] = [
            "system": "baton", "workload": "W4", "workflows_waiting": .number(Double(workflows)),
            "fill_s": .number(Double(filled.components.seconds) + Double(filled.components.attoseconds) * 1e-18),
            "scheduler_rss_mib": .number(ProcStat.rssMiB(pid: scheduler.processIdentifier)),
            "scheduler_peak_rss_mib": .number(ProcStat.peakRSSMiB(pid: scheduler.processIdentifier)),
            "worker_rss_mib": .number(ProcStat.rssMiB(pid: worker.processIdentifier)),
            "scheduler_idle_cpu_percent": .number((cpuAfter.0 - cpuBefore.0) / 10 * 100),
            "worker_idle_cpu_percent": .number((cpuAfter.1 - cpuBefore.1) / 10 * 100),
            "status_api_p50_ms": .number(percentile(status, 50)), "status_api_p99_ms": .number(percentile(status, 99)),
            "list_api_p50_ms": .number(percentile(list, 50)), "list_api_p99_ms": .number(percentile(list, 99)),
            "database_mib": .number((Double(tableSize.first?["n"] ?? "0") ?? 0) / 1_048_576),
        ]
        try stackOptions.report(report)
    }

    /// Paths to request one after another; `map` sends them and returns each one's milliseconds.
    struct Latencies {
        let paths: [String]

        func map(_ send: (String) async throws -> HTTPResponse) async throws -> [Double] {
            var samples: [Double] = []
            for path in paths {
                let start = ContinuousClock.now
                let response = try await send(path)
                guard response.status == 200 else { throw BenchError("\(path) answered \(response.status)") }
                let elapsed = start.duration(to: .now)
                samples.append(
                    Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) * 1e-15)
            }
            return samples
        }
    }

    static func latencies(count: Int, path: () -> String) -> Latencies {
        Latencies(paths: (0..<count).map { _ in path() })
    }
}
