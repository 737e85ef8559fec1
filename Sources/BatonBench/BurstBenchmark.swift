import ArgumentParser
import BatonContracts
import Foundation

/// W1 of WORKLOADS.md: W workflows of a 5-node chain submitted at once, C activity slots.
struct BurstBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "w1", abstract: "Burst throughput: W workflows at once into C slots (WORKLOADS.md W1).")

    @Option(name: .customLong("workflows")) var workflows = 200
    @Option var concurrency = 16
    @Option(name: .customLong("node-sleep-ms")) var nodeSleepMilliseconds = 0
    @Option(help: "Worker processes (W5 scale-out).") var workers = 1
    @OptionGroup var stackOptions: StackBenchmarkOptions

    func run() async throws {
        let stack = try await stackOptions.makeStack()
        defer { stack.stop() }
        try await stack.startScheduler()
        for _ in 0..<workers { try stack.startWorker(concurrency: concurrency) }
        let input: JSONValue = ["steps": 5, "sleep_ms": .number(Double(nodeSleepMilliseconds))]
        for index in 0..<5 {
            try await stack.submit(SubmitWorkflowRequest(id: "warm-\(index)", agent: "chain", input: input))
        }
        try await stack.waitFor("SELECT count(*) AS n FROM workflows WHERE status = 'completed'", atLeast: 5)
        try await Task.sleep(for: .seconds(1))

        let cpuBefore = stack.stackCPU()
        let machineBefore = ProcStat.machineBusySeconds()
        let start = Date()
        // All at once (64 requests in flight), as the peer's asyncio.gather does.
        var submitted: [String: Date] = [:]
        let baseURL = stack.baseURL
        try await withThrowingTaskGroup(of: (String, Date).self) { group in
            var next = 0
            func add(_ group: inout ThrowingTaskGroup<(String, Date), any Error>) {
                let id = "w1-\(next)"
                next += 1
                group.addTask {
                    let at = Date()
                    try await BenchStack.submit(
                        SubmitWorkflowRequest(id: id, agent: "chain", input: input), to: baseURL)
                    return (id, at)
                }
            }
            for _ in 0..<min(64, workflows) { add(&group) }
            while let (id, at) = try await group.next() {
                submitted[id] = at
                if next < workflows { add(&group) }
            }
        }
        try await stack.waitFor(
            "SELECT count(*) AS n FROM workflows WHERE finished_at IS NOT NULL AND id LIKE 'w1-%'", atLeast: workflows)
        let cpuAfter = stack.stackCPU()
        let machineAfter = ProcStat.machineBusySeconds()

        let rows = try await stack.query(
            """
            SELECT w.id, w.status, w.result, extract(epoch FROM w.finished_at) AS finished,
                (SELECT extract(epoch FROM min(e.recorded_at)) FROM workflow_events e
                 WHERE e.workflow_id = w.id AND e.type = 'started') AS started
            FROM workflows w WHERE w.id LIKE 'w1-%'
            """)
        var e2e: [Double] = []
        var toStart: [Double] = []
        var last = start
        var verified = 0
        for row in rows.all {
            guard let id = row["id"], let submit = submitted[id],
                let finished = row["finished"].flatMap(Double.init).map({ Date(timeIntervalSince1970: $0) })
            else { continue }
            last = max(last, finished)
            e2e.append(finished.timeIntervalSince(submit) * 1000)
            if let started = row["started"].flatMap(Double.init) {
                toStart.append((started - submit.timeIntervalSince1970) * 1000)
            }
            let result = try JSONDecoder().decode(JSONValue.self, from: Data((row["result"] ?? "null").utf8))
            let nodes = result["steps"]?.arrayValue?.compactMap { $0["node"]?.stringValue }
            if row["status"] == "completed" && nodes == (0..<5).map({ "step_\($0)" }) { verified += 1 }
        }
        let wall = last.timeIntervalSince(start)
        let events = try await stack.count(
            "SELECT count(*) AS n FROM workflow_events WHERE workflow_id LIKE 'w1-%'")
        var cpu: [String: Double] = [:]
        for (key, after) in cpuAfter { cpu[key] = after - (cpuBefore[key] ?? 0) }
        let stackCPU = cpu.values.reduce(0, +)
        let result: [String: JSONValue] = [
            "system": "baton", "workload": "W1", "workflows": .number(Double(workflows)),
            "concurrency": .number(Double(concurrency)), "workers": .number(Double(workers)),
            "node_sleep_ms": .number(Double(nodeSleepMilliseconds)), "verified_ok": .number(Double(verified)),
            "wall_s": .number(wall), "workflows_per_s": .number(Double(workflows) / wall),
            "node_transitions_per_s": .number(5 * Double(workflows) / wall),
            "history_events_per_s": .number(Double(events) / wall),
            "e2e_p50_ms": .number(percentile(e2e, 50)), "e2e_p99_ms": .number(percentile(e2e, 99)),
            "submit_to_activity_start_p50_ms": .number(percentile(toStart, 50)),
            "submit_to_activity_start_p99_ms": .number(percentile(toStart, 99)),
            "cpu_ms_per_workflow": .number(stackCPU * 1000 / Double(workflows)),
            "cpu_ms_per_workflow_by_process": .object(
                cpu.mapValues { .number($0 * 1000 / Double(workflows)) }),
            "machine_busy_cpu_s": .number(machineAfter - machineBefore), "stack_cpu_s": .number(stackCPU),
            "worker_peak_rss_mib": .number(
                stack.workers.map { ProcStat.peakRSSMiB(pid: $0.processIdentifier) }.max() ?? 0),
            "scheduler_peak_rss_mib": .number(
                stack.scheduler.map { ProcStat.peakRSSMiB(pid: $0.processIdentifier) } ?? 0),
        ]
        try stackOptions.report(result)
        guard verified == workflows else { throw BenchError("only \(verified) of \(workflows) workflows verified") }
    }
}
