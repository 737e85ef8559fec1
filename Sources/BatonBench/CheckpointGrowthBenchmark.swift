import ArgumentParser
import BatonContracts
import BatonPostgres
import Foundation

/// W6: one agent run whose state grows by one message per step (the chain agent with
/// `payload_bytes`): what its checkpoints cost in bytes (WAL written during the run, and
/// the checkpoint tables), and whether a step takes longer as the state grows (time per
/// step around step 10 and around the last step, from the `checkpointed` history entries).
///
/// A history entry's `recorded_at` is the time its transaction began, and the scheduler
/// applies the events that wait for it together: when checkpoints arrive faster than it
/// applies them, dozens of entries share one timestamp and the raw intervals between them
/// are 0. So each entry's step time is its transaction's share: the time from that
/// transaction's start to the next one's divided by the entries it applied. The last
/// checkpoints' transaction ends where the next entry's (the completion's) begins; only
/// when the completion came in the same transaction, when the driver saw the workflow
/// finished. (Ending it there always gave the last transaction the completion's own
/// work, a 500 KB result and the compaction, and the driver's poll, up to 50 ms: a
/// median of ten steps that ended in one transaction of five was that, not a step.) That is the time per step
/// whichever side is slower: the worker making checkpoints (one entry per transaction)
/// or the scheduler applying them (many). The raw intervals' medians are reported too.
struct CheckpointGrowthBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "w6", abstract: "Checkpoint growth: one run appending a message per step (W6).")

    @Option var steps = 500
    @Option(name: .customLong("payload-bytes"), help: "Bytes of the message each step appends.") var payloadBytes =
        1024
    @Option(help: "Checkpoints in each window (their mean time per step is taken).") var window = 20
    @Option(name: .customLong("early-step"), help: "The early step whose time is compared with the last one's.")
    var earlyStep = 10
    @OptionGroup var stackOptions: StackBenchmarkOptions

    func run() async throws {
        guard steps >= 2 * window, earlyStep <= steps else {
            throw ValidationError("--steps must be at least twice --window, and --early-step at most --steps")
        }
        let stack = try await stackOptions.makeStack()
        defer { stack.stop() }
        try await stack.startScheduler()
        try await stack.startWorker(concurrency: 1)
        try await stack.submit(SubmitWorkflowRequest(id: "warm-0", agent: "chain", input: ["steps": 5]))
        try await stack.waitFor("SELECT count(*) AS n FROM workflows WHERE status = 'completed'", atLeast: 1)
        try await Task.sleep(for: .milliseconds(500))

        let id = "w6-0"
        let before = try await stack.databaseCounters(statementStatistics: false)
        let cpuBefore = stack.stackCPU()
        let started = Date()
        try await stack.submit(
            SubmitWorkflowRequest(
                id: id, agent: "chain",
                input: ["steps": .number(Double(steps)), "payload_bytes": .number(Double(payloadBytes))]))
        try await stack.waitFor(
            "SELECT count(*) AS n FROM workflows WHERE id = '\(id)' AND finished_at IS NOT NULL", atLeast: 1,
            timeout: .seconds(1800))
        let finished = Date()
        let wall = finished.timeIntervalSince(started)
        let after = try await stack.databaseCounters(statementStatistics: false)
        let cpuAfter = stack.stackCPU()

        let outcome = try await stack.query("SELECT status, result FROM workflows WHERE id = \(id)").first
        let result = try JSONDecoder().decode(JSONValue.self, from: Data((outcome?["result"] ?? "null").utf8))
        let records = result["steps"]?.arrayValue ?? []
        let verified =
            outcome?["status"] == "completed" && records.count == steps
            && records.allSatisfy { $0["payload"]?.stringValue?.utf8.count == payloadBytes }

        // The checkpoints' history entries, in step order, on the scheduler's clock.
        let entries = try await stack.query(
            """
            SELECT (payload->>'step')::int AS step, extract(epoch FROM recorded_at) AS at
            FROM workflow_events WHERE workflow_id = \(id) AND type = 'checkpointed' ORDER BY seq
            """
        ).all.compactMap { row -> (step: Int, at: Double)? in
            guard let step = row["step"].flatMap(Int.init), let at = row["at"].flatMap(Double.init) else { return nil }
            return (step, at)
        }.sorted { $0.step < $1.step }
        // The graph's last checkpoint travels with the completion, whole, and its
        // transaction also compacts the workflow: once per run, not per step. The steps
        // measured are those applied before it, the last transaction ending where that
        // one begins.
        let finalAt = entries.last?.at ?? finished.timeIntervalSince1970
        let measured = entries.filter { $0.at < finalAt }
        let shares = transactionShares(measured.map(\.at), end: finalAt)
        let sharesUntilSeen = transactionShares(entries.map(\.at), end: finished.timeIntervalSince1970)
        let lateUntilSeen = windowValues(sharesUntilSeen, around: entries.count)
        let early = windowValues(shares, around: earlyStep)
        let late = windowValues(shares, around: measured.count)
        let intervals = [0.0] + zip(entries.dropFirst(), entries).map { ($0.at - $1.at) * 1000 }
        let rawEarly = windowValues(intervals, around: earlyStep, from: 1)
        let rawLate = windowValues(intervals, around: entries.count, from: 1)
        let transactions = Set(entries.map(\.at)).count

        var cpu: [String: Double] = [:]
        for (key, value) in cpuAfter { cpu[key] = value - (cpuBefore[key] ?? 0) }
        let report: [String: JSONValue] = [
            "system": "baton", "workload": "W6", "steps": .number(Double(steps)),
            "payload_bytes": .number(Double(payloadBytes)), "verified_ok": .bool(verified),
            "checkpoints_recorded": .number(Double(entries.count)), "wall_s": .number(wall),
            "wal_bytes": .number(after.walBytes - before.walBytes),
            "checkpoint_tables": .object(try await checkpointTables(stack, workflowId: id)),
            "window_intervals": .number(Double(window)), "early_step": .number(Double(earlyStep)),
            // The window's time over its steps: a median of shares picks a batch's share or
            // a lone entry's, whichever the window holds more of, and flips between runs.
            "step_ms_early": mean(early).map(JSONValue.number) ?? .null,
            "step_ms_last": mean(late).map(JSONValue.number) ?? .null,
            "step_time_ratio_last_vs_early": ratio(mean(late), mean(early)),
            "step_ms_early_median": median(early).map(JSONValue.number) ?? .null,
            "step_ms_last_median": median(late).map(JSONValue.number) ?? .null,
            // Every checkpoint, the last transaction ending when the driver saw the workflow
            // finished (the measure before the final checkpoint was left out).
            "step_ms_last_median_until_seen_finished": median(lateUntilSeen).map(JSONValue.number) ?? .null,
            "raw_interval_ms_early_median": median(rawEarly).map(JSONValue.number) ?? .null,
            "raw_interval_ms_last_median": median(rawLate).map(JSONValue.number) ?? .null,
            "apply_transactions": .number(Double(transactions)),
            "entries_per_transaction_max": .number(
                Double(Dictionary(grouping: entries, by: \.at).values.map(\.count).max() ?? 0)),
            "checkpoints_measured": .number(Double(measured.count)),
            "step_ms_overall_mean": .number(
                entries.count > 1 ? (entries.last!.at - entries.first!.at) * 1000 / Double(entries.count - 1) : 0),
            "stack_cpu_s": .number(cpu.values.reduce(0, +)),
            "stack_cpu_s_by_process": .object(cpu.mapValues(JSONValue.number)),
        ]
        try stackOptions.report(report)
        guard verified else { throw BenchError("the W6 run did not complete with \(steps) steps of its payload") }
    }

    private func ratio(_ numerator: Double?, _ denominator: Double?) -> JSONValue {
        guard let numerator, let denominator, denominator > 0 else { return .null }
        return .number(numerator / denominator)
    }

    /// Each entry's share (ms) of its transaction: entries with the same timestamp were
    /// applied by one transaction, which lasted until the next one began (the last one
    /// until `end`).
    private func transactionShares(_ times: [Double], end: Double) -> [Double] {
        var shares = [Double](repeating: 0, count: times.count)
        var start = 0
        while start < times.count {
            var next = start
            while next < times.count && times[next] == times[start] { next += 1 }
            let until = next < times.count ? times[next] : max(end, times[start])
            for index in start..<next { shares[index] = (until - times[start]) * 1000 / Double(next - start) }
            start = next
        }
        return shares
    }

    /// The `window` values nearest the 1-based position `step`: those around it, or
    /// the last ones; none before index `from`.
    private func windowValues(_ values: [Double], around step: Int, from lowest: Int = 0) -> [Double] {
        guard values.count - lowest >= window else { return [] }
        let first = max(lowest, min(step - 1 - window / 2 + 1, values.count - window))
        return Array(values[first..<(first + window)])
    }

    private func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    private func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Every table whose name says checkpoint (the storage is changing: found, not
    /// named): its whole size on disk (TOAST and indexes included), and the rows and
    /// bytes of this workflow where the table has a `workflow_id` column.
    private func checkpointTables(_ stack: BenchStack, workflowId: String) async throws -> [String: JSONValue] {
        let tables = try await stack.query(
            """
            SELECT t.tablename AS name, pg_total_relation_size(quote_ident(t.tablename)::regclass) AS total,
                EXISTS (SELECT FROM information_schema.columns c WHERE c.table_schema = t.schemaname
                        AND c.table_name = t.tablename AND c.column_name = 'workflow_id') AS by_workflow
            FROM pg_tables t WHERE t.schemaname = 'public' AND t.tablename LIKE '%checkpoint%' ORDER BY 1
            """)
        var result: [String: JSONValue] = [:]
        for table in tables.all {
            guard let name = table["name"] else { continue }
            var entry: [String: JSONValue] = ["total_relation_bytes": .number(Double(table["total"] ?? "") ?? 0)]
            if table["by_workflow"] == "t" {
                let rows = try await stack.query(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT count(*) AS n, coalesce(sum(pg_column_size(t.*)), 0) AS bytes
                            FROM "\(name.replacingOccurrences(of: "\"", with: "\"\""))" t WHERE t.workflow_id = $1
                            """, bindings: [PostgresBinding(workflowId)])
                ).first
                entry["workflow_rows"] = .number(Double(rows?["n"] ?? "") ?? 0)
                entry["workflow_row_bytes"] = .number(Double(rows?["bytes"] ?? "") ?? 0)
            }
            result[name] = .object(entry)
        }
        return result
    }
}
