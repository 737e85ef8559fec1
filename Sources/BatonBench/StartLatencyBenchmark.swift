import ArgumentParser
import BatonContracts
import BatonHTTPClient
import Foundation

/// W2 of WORKLOADS.md: workflows submitted one after another, each waited for; how long
/// from submission to the activity's start and to the result, read from the scheduler's
/// own timestamps (submission, the `started` event, the end).
struct StartLatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "w2", abstract: "Start latency under light load (WORKLOADS.md W2).")

    @Option(name: .customLong("workflows")) var workflows = 100
    @OptionGroup var stackOptions: StackBenchmarkOptions

    func run() async throws {
        let stack = try await stackOptions.makeStack()
        defer { stack.stop() }
        try await stack.startScheduler()
        try await stack.startWorker(concurrency: 16)
        try await Task.sleep(for: .seconds(1))
        // Warm-up, excluded: the first workflow pays for connections and caches.
        for index in -3..<workflows {
            let id = "w2-\(index)"
            try await stack.submit(SubmitWorkflowRequest(id: id, agent: "chain", input: ["steps": 5]))
            while true {
                let response = try await HTTPClient.send(
                    HTTPRequest(url: stack.baseURL + "/v1/workflows/\(id)", headers: BenchStack.authorization))
                let status = (try? JSONDecoder().decode(JSONValue.self, from: response.body))?["status"]
                if status == "completed" { break }
                if status == "failed" { throw BenchError("workflow \(id) failed") }
                try await Task.sleep(for: .milliseconds(2))
            }
        }
        let rows = try await stack.query(
            """
            SELECT extract(epoch FROM (min(e.recorded_at) - w.created_at)) * 1000 AS start_ms,
                   extract(epoch FROM (w.finished_at - w.created_at)) * 1000 AS result_ms
            FROM workflows w JOIN workflow_events e ON e.workflow_id = w.id AND e.type = 'started'
            WHERE w.id NOT LIKE 'w2--%' GROUP BY w.id
            """)
        let start = rows.all.compactMap { $0["start_ms"].flatMap(Double.init) }
        let result = rows.all.compactMap { $0["result_ms"].flatMap(Double.init) }
        let report: [String: JSONValue] = [
            "system": "baton", "workload": "W2", "workflows": .number(Double(start.count)),
            "submit_to_activity_start_p50_ms": .number(percentile(start, 50)),
            "submit_to_activity_start_p99_ms": .number(percentile(start, 99)),
            "submit_to_result_p50_ms": .number(percentile(result, 50)),
            "submit_to_result_p99_ms": .number(percentile(result, 99)),
        ]
        try stackOptions.report(report)
    }
}
