import ArgumentParser
import BatonContracts
import Foundation

/// W3 of WORKLOADS.md: SIGKILL the worker in the middle of 20 slow workflows while a
/// second worker is running; how long until all complete, and how many steps ran twice.
/// By default the second worker has been running for longer than the lease check, as
/// in a fleet, and shares the workflows with the first (`workflows_on_killed_worker`
/// says how many the kill hit); `--survivor late` starts it 1.2 s before the kill, with
/// every workflow on the killed worker, as this benchmark did until the fast path.
struct CrashRecoveryBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "w3", abstract: "Crash recovery: SIGKILL a worker mid-run (WORKLOADS.md W3).")

    /// When the second worker starts. What matters is the age of its command connection
    /// when the killed worker's commands come back to it: older than the lease check, the
    /// broker cannot have restarted meanwhile and the next attempts start at once; younger,
    /// a broker restart would look the same, and the scheduler waits for the lease check.
    enum SurvivorStart: String, ExpressibleByArgument {
        /// With the first worker, 5 s before the workflows are submitted, as in a fleet
        /// that has been running: the two share the workflows, the kill hits about half.
        case early
        /// Once the first worker runs all of them, 1.2 s before the kill: every workflow is
        /// on the killed worker, and the survivor's connection is younger than the check.
        case late
    }

    @Option(name: .customLong("workflows")) var workflows = 20
    @Option(name: .customLong("node-sleep-ms")) var nodeSleepMilliseconds = 500
    @Option(name: .customLong("kill-after-s")) var killAfterSeconds = 1.2
    @Option(help: "When the second worker starts: early (before the workflows) or late (1.2 s before the kill).")
    var survivor = SurvivorStart.early
    @OptionGroup var stackOptions: StackBenchmarkOptions

    func run() async throws {
        let stack = try await stackOptions.makeStack()
        defer { stack.stop() }
        try await stack.startScheduler()
        let doomed = try await stack.startWorker(concurrency: workflows)
        if survivor == .early {
            try await stack.startWorker(concurrency: workflows)
            try await Task.sleep(for: .seconds(5))
        } else {
            try await Task.sleep(for: .seconds(1))
        }
        let logName = "baton-w3-\(UUID().uuidString).log"
        let log = (BenchStack.testHooksFolder as NSString).appendingPathComponent(logName)
        // The peer's heartbeat timeout; Baton does not wait for it. Its lease check is 5 s
        // here (two heartbeat intervals, at least 5 s): a command that comes back on a
        // connection older than that is given up at once; on a younger one it is checked
        // after 5 s, or later, since the scheduler holds that check back for its
        // broker_recovery_grace_seconds (15 s) after it starts (see docs/architecture.md,
        // "Detecting a dead worker").
        let options = WorkflowOptions(heartbeatIntervalSeconds: 2, heartbeatTimeoutSeconds: 10)
        let input: JSONValue = [
            "steps": 5, "sleep_ms": .number(Double(nodeSleepMilliseconds)), "exec_log": .string(logName),
        ]
        for index in 0..<workflows {
            try await stack.submit(
                SubmitWorkflowRequest(id: "w3-\(index)", agent: "chain", input: input, options: options))
        }
        try await stack.waitFor(
            "SELECT count(DISTINCT workflow_id) AS n FROM workflow_events WHERE type = 'started'", atLeast: workflows)
        if survivor == .late {
            try await stack.startWorker(concurrency: workflows)  // the survivor, running before the kill
        }
        try await Task.sleep(for: .seconds(killAfterSeconds))
        let killedAt = Date()
        await doomed.kill()
        try await stack.waitFor(
            "SELECT count(*) AS n FROM workflows WHERE status = 'completed'", atLeast: workflows, timeout: .seconds(300)
        )
        let last = try await stack.query("SELECT extract(epoch FROM max(finished_at)) AS t FROM workflows")
        let doneAt = Date(timeIntervalSince1970: Double(last.first?["t"] ?? "0") ?? 0)
        let lines = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n") ?? []
        var runs: [String: Int] = [:]
        for line in lines { runs[String(line.split(separator: " ")[0]), default: 0] += 1 }
        let extra = runs.values.map { $0 - 5 }
        let attempts = try await stack.query("SELECT attempt, count(*) AS n FROM workflows GROUP BY attempt ORDER BY 1")
        let killed = try await stack.count(
            "SELECT count(DISTINCT workflow_id) AS n FROM workflow_events WHERE type = 'started' AND attempt = 1 AND payload->>'worker' LIKE '%-\(doomed.processIdentifier)-%'"
        )
        let result: [String: JSONValue] = [
            "system": "baton", "workload": "W3", "workflows": .number(Double(workflows)),
            "node_sleep_ms": .number(Double(nodeSleepMilliseconds)),
            "all_done_after_kill_s": .number(doneAt.timeIntervalSince(killedAt)),
            "steps_run_twice_total": .number(Double(extra.reduce(0, +))),
            "steps_run_twice_max_per_workflow": .number(Double(extra.max() ?? 0)),
            "heartbeat_timeout_s": 10,
            "survivor_start": .string(survivor.rawValue),
            "workflows_on_killed_worker": .number(Double(killed)),
            "final_attempts": .object(
                Dictionary(
                    uniqueKeysWithValues: attempts.all.map {
                        ($0["attempt"] ?? "?", JSONValue.number(Double($0["n"] ?? "0") ?? 0))
                    })),
        ]
        try stackOptions.report(result)
        try? FileManager.default.removeItem(atPath: log)
    }
}
