import ArgumentParser
import BatonContracts
import BatonHTTPClient
import BatonIdentity
import BatonPostgres
import Foundation

/// W7 (issue #13): tenant A bursts `--burst` workflows; a second later tenant B
/// submits `--small`. B's submit→start p50 and p99, with the dispatch gate's fair
/// sharing and without it (`BATON_FAIRNESS=off`), each on a fresh stack; the ratio
/// of the two p50s is what fairness buys.
struct TenantFairnessBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "w7", abstract: "A small tenant's start latency behind another's burst (issue #13 W7).")

    @Option var burst = 1000
    @Option var small = 10
    @Option(name: .customLong("sleep-ms"), help: "Each burst workflow's one step sleeps this long.")
    var sleepMilliseconds = 500
    @Option var concurrency = 16
    @OptionGroup var stackOptions: StackBenchmarkOptions

    func run() async throws {
        var report: [String: JSONValue] = [
            "system": "baton", "workload": "W7", "burst": .number(Double(burst)), "small": .number(Double(small)),
            "worker_slots": .number(Double(concurrency)), "burst_step_ms": .number(Double(sleepMilliseconds)),
        ]
        for fair in [true, false] {
            let (p50, p99, drained) = try await measure(fair: fair)
            let name = fair ? "fair" : "fifo"
            report["small_tenant_start_p50_ms_\(name)"] = .number(p50)
            report["small_tenant_start_p99_ms_\(name)"] = .number(p99)
            report["burst_drained_s_\(name)"] = .number(drained)
        }
        if case .number(let fair)? = report["small_tenant_start_p50_ms_fair"],
            case .number(let fifo)? = report["small_tenant_start_p50_ms_fifo"], fair > 0
        {
            report["w7_fifo_over_fair_p50_ratio"] = .number(fifo / fair)
        }
        try stackOptions.report(report)
    }

    /// B's start latencies (ms) and how long A's burst took to finish (s).
    private func measure(fair: Bool) async throws -> (Double, Double, Double) {
        let stack = try await stackOptions.makeStack()
        defer { stack.stop() }
        try await stack.startScheduler(extra: ["BATON_FAIRNESS": fair ? "on" : "off"])
        let bulkKey = try await Self.tenantKey("bulk", stack: stack)
        let smallKey = try await Self.tenantKey("small", stack: stack)
        try await stack.startWorker(concurrency: concurrency)
        try await Task.sleep(for: .seconds(2))  // the worker has reported its slots
        let started = ContinuousClock.now
        let burst = self.burst
        let sleep = sleepMilliseconds
        let baseURL = stack.baseURL
        let submitting = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lane in 0..<8 {
                    group.addTask {
                        for index in stride(from: lane, to: burst, by: 8) {
                            try await Self.submit(
                                SubmitWorkflowRequest(
                                    id: "bulk-\(index)", agent: "chain",
                                    input: ["steps": 1, "sleep_ms": .number(Double(sleep))]),
                                key: bulkKey, to: baseURL)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        try await Task.sleep(for: .seconds(1))
        for index in 0..<small {
            try await Self.submit(
                SubmitWorkflowRequest(id: "small-\(index)", agent: "chain", input: ["steps": 1]), key: smallKey,
                to: baseURL)
        }
        try await submitting.value
        while true {
            let open = try await stack.query("SELECT count(*) AS n FROM workflows WHERE finished_at IS NULL")
            if open.first?["n"] == "0" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let drained = Double((ContinuousClock.now - started).components.seconds)
        let rows = try await stack.query(
            """
            SELECT extract(epoch FROM (min(e.recorded_at) - w.created_at)) * 1000 AS start_ms
            FROM workflows w JOIN workflow_events e ON e.workflow_id = w.id AND e.type = 'started'
            WHERE w.tenant = 'small' GROUP BY w.id
            """)
        let latencies = rows.all.compactMap { $0["start_ms"].flatMap(Double.init) }
        guard latencies.count == small else { throw BenchError("only \(latencies.count) of tenant small's started") }
        return (percentile(latencies, 50), percentile(latencies, 99), drained)
    }

    /// A key of `tenant`, written to the scheduler's key table (the benchmark's own
    /// administrator key can only make keys of its own tenant).
    private static func tenantKey(_ tenant: String, stack: BenchStack) async throws -> String {
        let token = APIKeyToken.generate()
        let admin = try await PostgresConnection.connect(stack.databaseURL, name: "bench-w7-keys")
        defer { Task { await admin.close() } }
        try await admin.query(
            """
            INSERT INTO api_keys (id, name, tenant, roles, sha256)
            VALUES (\(token.id), \(tenant), \(tenant), 'submit,read', \(token.sha256))
            """)
        return token.text
    }

    private static func submit(_ request: SubmitWorkflowRequest, key: String, to baseURL: String) async throws {
        let response = try await HTTPClient.send(
            HTTPRequest(
                method: "POST", url: baseURL + "/v1/workflows",
                headers: ["Authorization": "Bearer \(key)", "Content-Type": "application/json"],
                body: try JSONEncoder().encode(request)))
        guard (200..<300).contains(response.status) else {
            throw BenchError("submit answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
    }
}
