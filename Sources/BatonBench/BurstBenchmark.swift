import ArgumentParser
import BatonContracts
import Foundation

/// W1 of WORKLOADS.md: W workflows of a 5-node chain submitted at once, C activity slots;
/// with `--workers` and `--replicas`, the scale-out runs (W5): events applied per second
/// and the CPU each scheduler replica spends per event.
struct BurstBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "w1", abstract: "Burst throughput: W workflows at once into C slots (WORKLOADS.md W1, W5).")

    @Option(name: .customLong("workflows")) var workflows = 200
    @Option var concurrency = 16
    @Option(name: .customLong("node-sleep-ms")) var nodeSleepMilliseconds = 0
    @Option(help: "Worker processes (W5 scale-out).") var workers = 1
    @Option(help: "Scheduler replicas sharing the database and the broker (scale-out).") var replicas = 1
    @Option(help: "A name for this run in the results (the report groups runs by it).") var tag: String?
    @OptionGroup var stackOptions: StackBenchmarkOptions

    static let steps = 5

    func run() async throws {
        let stack = try await stackOptions.makeStack()
        defer { stack.stop() }
        try await stack.startSchedulers(count: replicas)
        for _ in 0..<workers { try await stack.startWorker(concurrency: concurrency) }
        if replicas > 1 { try await stack.waitForPartitionsShared() }
        let input: JSONValue = [
            "steps": .number(Double(Self.steps)), "sleep_ms": .number(Double(nodeSleepMilliseconds)),
        ]
        for index in 0..<5 {
            try await stack.submit(SubmitWorkflowRequest(id: "warm-\(index)", agent: "chain", input: input))
        }
        try await stack.waitFor("SELECT count(*) AS n FROM workflows WHERE status = 'completed'", atLeast: 5)
        let statementStatistics = await stack.resetStatementStatistics()
        // PostgreSQL's backends report their transaction counts at most once a second.
        try await Task.sleep(for: .milliseconds(1500))

        let databaseBefore = try await stack.databaseCounters(statementStatistics: statementStatistics)
        let appliedBefore = await stack.eventsApplied()
        let replicaCPUBefore = stack.schedulerCPU()
        let driverBefore = stack.driverCPU()
        let cpuBefore = stack.stackCPU()
        let machineBefore = ProcStat.machineBusySeconds()
        let start = Date()
        // All at once (64 requests in flight), as the peer's asyncio.gather does; spread
        // over the replicas as a load balancer would.
        var submitted: [String: Date] = [:]
        let urls = stack.schedulerURLs
        try await withThrowingTaskGroup(of: (String, Date).self) { group in
            var next = 0
            func add(_ group: inout ThrowingTaskGroup<(String, Date), any Error>) {
                let id = "w1-\(next)"
                let url = urls[next % urls.count]
                next += 1
                group.addTask {
                    let at = Date()
                    try await BenchStack.submit(SubmitWorkflowRequest(id: id, agent: "chain", input: input), to: url)
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
        let driverAfter = stack.driverCPU()
        let replicaCPUAfter = stack.schedulerCPU()
        let machineAfter = ProcStat.machineBusySeconds()
        let appliedAfter = await stack.eventsApplied()
        let walAfter = try await stack.databaseCounters(statementStatistics: statementStatistics)
        try await Task.sleep(for: .milliseconds(1500))
        let databaseAfter = try await stack.databaseCounters(statementStatistics: statementStatistics)

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
            if row["status"] == "completed" && nodes == (0..<Self.steps).map({ "step_\($0)" }) { verified += 1 }
        }
        let wall = last.timeIntervalSince(start)
        let events = try await stack.count(
            "SELECT count(*) AS n FROM workflow_events WHERE workflow_id LIKE 'w1-%'")
        var cpu: [String: Double] = [:]
        for (key, after) in cpuAfter { cpu[key] = after - (cpuBefore[key] ?? 0) }
        let stackCPU = cpu.values.reduce(0, +)
        let driverCPU = driverAfter - driverBefore
        let perWorkflow = { (value: Double) -> JSONValue in .number(value / Double(workflows)) }

        // Per replica: events it applied (its /metrics counter) and the CPU it spent.
        var replicaRows: [JSONValue] = []
        var appliedTotal = 0.0
        for index in 0..<replicas {
            let applied = appliedAfter[index].flatMap { after in appliedBefore[index].map { after - $0 } }
            let cpuMilliseconds = (replicaCPUAfter[index] - replicaCPUBefore[index]) * 1000
            appliedTotal += applied ?? 0
            replicaRows.append([
                "replica": .number(Double(index)), "events_applied": applied.map(JSONValue.number) ?? .null,
                "cpu_ms": .number(cpuMilliseconds),
                "cpu_ms_per_event": applied.flatMap { $0 > 0 ? JSONValue.number(cpuMilliseconds / $0) : nil } ?? .null,
            ])
        }

        // What PostgreSQL did for the stack (the driver's own statements taken out).
        let driverStatements = Double(databaseAfter.driverStatements - databaseBefore.driverStatements)
        var database: [String: JSONValue] = [
            "wal_bytes_per_workflow": perWorkflow(walAfter.walBytes - databaseBefore.walBytes),
            "transactions_per_workflow": perWorkflow(
                databaseAfter.transactions - databaseBefore.transactions - driverStatements),
            "pg_stat_statements": .bool(statementStatistics),
        ]
        if let after = walAfter.statements, let before = databaseBefore.statements,
            let plainAfter = walAfter.statementsWithoutTransactionControl,
            let plainBefore = databaseBefore.statementsWithoutTransactionControl
        {
            database["sql_statements_per_workflow"] = perWorkflow(after - before)
            database["sql_statements_per_workflow_without_transaction_control"] = perWorkflow(plainAfter - plainBefore)
            database["top_statements"] = .array(
                walAfter.topStatements.map { ["calls": .number($0.calls), "query": .string($0.query)] })
        }

        var result: [String: JSONValue] = [
            "system": "baton", "workload": "W1", "workflows": .number(Double(workflows)),
            "concurrency": .number(Double(concurrency)), "workers": .number(Double(workers)),
            "replicas": .number(Double(replicas)), "tag": tag.map(JSONValue.string) ?? .null,
            "node_sleep_ms": .number(Double(nodeSleepMilliseconds)), "verified_ok": .number(Double(verified)),
            "wall_s": .number(wall), "workflows_per_s": .number(Double(workflows) / wall),
            "node_transitions_per_s": .number(Double(Self.steps * workflows) / wall),
            "history_events_per_s": .number(Double(events) / wall),
            "events_applied_per_s": .number(appliedTotal / wall),
            "scheduler_replicas": .array(replicaRows),
            "e2e_p50_ms": .number(percentile(e2e, 50)), "e2e_p99_ms": .number(percentile(e2e, 99)),
            "submit_to_activity_start_p50_ms": .number(percentile(toStart, 50)),
            "submit_to_activity_start_p99_ms": .number(percentile(toStart, 99)),
            "cpu_ms_per_workflow": .number(stackCPU * 1000 / Double(workflows)),
            "cpu_ms_per_workflow_by_process": .object(
                cpu.mapValues { .number($0 * 1000 / Double(workflows)) }),
            "driver_cpu_ms_per_workflow": .number(driverCPU * 1000 / Double(workflows)),
            "cpu_ms_per_workflow_with_driver": .number((stackCPU + driverCPU) * 1000 / Double(workflows)),
            "machine_busy_cpu_s": .number(machineAfter - machineBefore), "stack_cpu_s": .number(stackCPU),
            "worker_peak_rss_mib": .number(
                stack.workers.map { ProcStat.peakRSSMiB(pid: $0.processIdentifier) }.max() ?? 0),
            "scheduler_peak_rss_mib": .number(
                stack.schedulers.map { ProcStat.peakRSSMiB(pid: $0.processIdentifier) }.max() ?? 0),
            "database": .object(database),
        ]
        if nodeSleepMilliseconds > 0 {
            // Every slot busy sleeping all the time: slots × (1000 / sleep) steps/s.
            let limit = Double(workers * concurrency) * 1000 / Double(nodeSleepMilliseconds) / Double(Self.steps)
            result["slot_limited_workflows_per_s"] = .number(limit)
            result["slot_limit_fraction"] = .number(Double(workflows) / wall / limit)
        }
        try stackOptions.report(result)
        guard verified == workflows else { throw BenchError("only \(verified) of \(workflows) workflows verified") }
    }
}
