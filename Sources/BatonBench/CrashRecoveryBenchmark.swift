import ArgumentParser
import BatonContracts
import Foundation

/// W3 of WORKLOADS.md: SIGKILL the worker in the middle of 20 slow workflows while a
/// second worker is running; how long until all complete, and how many steps ran twice.
struct CrashRecoveryBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "w3", abstract: "Crash recovery: SIGKILL a worker mid-run (WORKLOADS.md W3).")

    @Option(name: .customLong("workflows")) var workflows = 20
    @Option(name: .customLong("node-sleep-ms")) var nodeSleepMilliseconds = 500
    @Option(name: .customLong("kill-after-s")) var killAfterSeconds = 1.2
    @OptionGroup var stackOptions: StackBenchmarkOptions

    func run() async throws {
        let stack = try await stackOptions.makeStack()
        defer { stack.stop() }
        try await stack.startScheduler()
        let doomed = try stack.startWorker(concurrency: workflows)
        try await Task.sleep(for: .seconds(1))
        let logName = "baton-w3-\(UUID().uuidString).log"
        let log = (BenchStack.testHooksFolder as NSString).appendingPathComponent(logName)
        // The peer's heartbeat timeout. Baton does not wait for it: a redelivered command
        // is checked after two heartbeat intervals (4 s here).
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
        try stack.startWorker(concurrency: workflows)  // the survivor, running before the kill
        try await Task.sleep(for: .seconds(killAfterSeconds))
        let killedAt = Date()
        kill(doomed.processIdentifier, SIGKILL)
        doomed.waitUntilExit()
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
        let result: [String: JSONValue] = [
            "system": "baton", "workload": "W3", "workflows": .number(Double(workflows)),
            "node_sleep_ms": .number(Double(nodeSleepMilliseconds)),
            "all_done_after_kill_s": .number(doneAt.timeIntervalSince(killedAt)),
            "steps_run_twice_total": .number(Double(extra.reduce(0, +))),
            "steps_run_twice_max_per_workflow": .number(Double(extra.max() ?? 0)),
            "heartbeat_timeout_s": 10,
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
