import BatonAMQP
import BatonContracts
import BatonPostgres
import Foundation

/// One checked property of the run: how many things it looked at and what broke it.
struct ChaosInvariant: Sendable {
    var name: String
    var checked = 0
    var violations: [String] = []
    /// Counts worth printing beside the verdict (fenced events, worker_crashed outcomes…).
    var notes: [String] = []

    var holds: Bool { violations.isEmpty }
}

/// Everything the checks read, gathered after the run.
struct ChaosEvidence: Sendable {
    var tracks: [String: ChaosWorkflowTrack]
    var faults: [ChaosFaultRecord]
    var executionLogPath: String
    var unexpectedExits: [(ChaosCluster.Daemon, ChaosCluster.Exit)]
    var missingDaemons: [ChaosCluster.Daemon]
    var queueCounts: [(name: String, ready: Int, unacked: Int)]
    var deadLetters: [(queue: String, reason: String?)]
    var driverFinished: Bool
}

/// The checks of the issue, each against the database, the workers' own execution log
/// and the broker, not only against what the scheduler says of itself.
struct ChaosInvariants {
    let databaseURL: String
    let evidence: ChaosEvidence

    private struct Row {
        var status: WorkflowStatus
        var errorKind: String?
        var finishedAt: Double?
        /// The time of the last applied event in its history.
        var endedAt: Double?
        var createdAt: Double
        var hasResult: Bool
        var resultNodes: [String]
        var steps: Int
        var parentId: String?
    }

    private struct HistoryRow {
        var seq: Int
        var workflowId: String
        var attempt: Int
        var type: String
        var outcome: String
        var worker: String?
        var recordedAt: Double
    }

    func check() async throws -> [ChaosInvariant] {
        let connection = try await PostgresConnection.connect(databaseURL, name: "chaos-checks")
        defer { Task { await connection.close() } }
        let loaded = try await loadWorkflows(connection)
        let history = try await connection.query(
            """
            SELECT seq, workflow_id, attempt, type, outcome, payload->>'worker' AS worker,
                   extract(epoch FROM recorded_at) AS recorded
            FROM workflow_events ORDER BY seq
            """
        ).all.map {
            HistoryRow(
                seq: Int($0["seq"] ?? "0") ?? 0, workflowId: $0["workflow_id"] ?? "",
                attempt: Int($0["attempt"] ?? "0") ?? 0,
                type: $0["type"] ?? "", outcome: $0["outcome"] ?? "", worker: $0["worker"],
                recordedAt: Double($0["recorded"] ?? "0") ?? 0)
        }
        let byWorkflow = Dictionary(grouping: history, by: \.workflowId)
        // When each workflow really ended: its last applied event (finished_at is not
        // trusted for this: the run checks it separately).
        var workflows = loaded
        for (id, rows) in byWorkflow {
            workflows[id]?.endedAt = rows.filter { $0.outcome == "applied" }.map(\.recordedAt).max()
        }
        let outbox = Int(try await connection.query("SELECT count(*) AS n FROM outbox").first?["n"] ?? "0") ?? 0
        let strayTimers = try await connection.query(
            "SELECT t.workflow_id, t.kind FROM timers t JOIN workflows w ON w.id = t.workflow_id WHERE w.finished_at IS NOT NULL"
        ).all.map { "\($0["workflow_id"] ?? "?") \($0["kind"] ?? "?")" }
        return [
            oneTerminalState(workflows),
            outcomeFitsKind(workflows),
            resultRecordedOnce(workflows, byWorkflow),
            reExecutionsBounded(workflows, byWorkflow),
            zombiesFenced(byWorkflow),
            childrenFollowTheirParent(workflows),
            queuesAccounted(outbox: outbox, strayTimers: strayTimers),
            daemonsAlive(),
            faultsInjected(),
        ]
    }

    private func loadWorkflows(_ connection: PostgresConnection) async throws -> [String: Row] {
        let rows = try await connection.query(
            """
            SELECT id, status, error->>'kind' AS error_kind, extract(epoch FROM finished_at) AS finished,
                   extract(epoch FROM created_at) AS created, result IS NOT NULL AS has_result,
                   result->'steps' AS result_steps, input->>'steps' AS steps, parent_id
            FROM workflows
            """)
        var workflows: [String: Row] = [:]
        for row in rows.all {
            guard let id = row["id"], let status = WorkflowStatus(rawValue: row["status"] ?? "") else { continue }
            var nodes: [String] = []
            if let text = row["result_steps"],
                let steps = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)),
                case .array(let records) = steps
            {
                nodes = records.map { $0["node"]?.stringValue ?? "?" }
            }
            workflows[id] = Row(
                status: status, errorKind: row["error_kind"], finishedAt: row["finished"].flatMap(Double.init),
                createdAt: Double(row["created"] ?? "0") ?? 0, hasResult: row["has_result"] == "t", resultNodes: nodes,
                steps: Int(row["steps"] ?? "0") ?? 0, parentId: row["parent_id"])
        }
        return workflows
    }

    private static func time(_ epoch: Double) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss.SSS"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: epoch))
    }

    // MARK: The invariants

    private func oneTerminalState(_ workflows: [String: Row]) -> ChaosInvariant {
        var invariant = ChaosInvariant(name: "every workflow reached exactly one terminal state")
        if !evidence.driverFinished {
            invariant.violations.append("the driver's deadline passed before every workflow ended")
        }
        for track in evidence.tracks.values.sorted(by: { $0.id < $1.id }) {
            invariant.checked += 1
            guard track.submitted else {
                invariant.violations.append("\(track.id): never accepted by the API (\(track.submitErrors) tries)")
                continue
            }
            guard let row = workflows[track.id] else {
                invariant.violations.append("\(track.id): accepted by the API but not in the database")
                continue
            }
            if !row.status.isTerminal {
                invariant.violations.append("\(track.id): still \(row.status.rawValue)")
            } else if row.finishedAt == nil {
                invariant.violations.append("\(track.id): \(row.status.rawValue) without finished_at")
            } else if let finished = row.finishedAt, let ended = row.endedAt, finished > ended + 0.5 {
                // The end is recorded once: an event ignored afterwards must not move it.
                invariant.violations.append(
                    "\(track.id): \(row.status.rawValue) at \(Self.time(ended)) (last applied event), but finished_at is \(Self.time(finished)): moved by an ignored later event"
                )
            }
            if let first = track.firstTerminal, first != row.status || !track.laterStatuses.isEmpty {
                let later = track.laterStatuses.map(\.rawValue).joined(separator: ", ")
                invariant.violations.append(
                    "\(track.id): first seen \(first.rawValue), later \(later), now \(row.status.rawValue)")
            }
        }
        return invariant
    }

    private func outcomeFitsKind(_ workflows: [String: Row]) -> ChaosInvariant {
        var invariant = ChaosInvariant(name: "every outcome is legitimate for its kind")
        var crashed = 0
        var timedOut = 0
        for track in evidence.tracks.values.sorted(by: { $0.id < $1.id }) {
            guard let row = workflows[track.id], row.status.isTerminal else { continue }
            invariant.checked += 1
            let quarantined = row.status == .failed && row.errorKind == "worker_crashed"
            if quarantined { crashed += 1 }
            let cancelRefused = track.cancelOutcome?.hasPrefix("refused") == true
            let fits: Bool
            switch track.kind {
            case .plain, .answered:
                fits = row.status == .completed || quarantined
            case .failing:
                fits = row.status == .failed && row.errorKind == "invalid_input"
            case .retried:
                if row.status == .timedOut { timedOut += 1 }
                fits = row.status == .completed || quarantined || row.status == .timedOut
            case .cancelled:
                fits = row.status == .cancelled || (cancelRefused && (row.status == .completed || quarantined))
            case .family where track.parentId != nil:
                let parentDone = workflows[track.parentId!]?.status == .completed
                fits = row.status == .completed || quarantined || (!parentDone && row.status == .cancelled)
            case .family:
                if track.plan?.cancelDelay != nil, !cancelRefused {
                    fits = row.status == .cancelled
                } else {
                    fits = row.status == .completed || quarantined
                }
            }
            if !fits {
                invariant.violations.append(
                    "\(track.id) (\(track.kind.rawValue)): \(row.status.rawValue)\(row.errorKind.map { " (\($0))" } ?? "")"
                        + (track.cancelOutcome.map { ", cancel \($0)" } ?? ""))
            }
        }
        invariant.notes.append("\(crashed) failed with worker_crashed (quarantined after repeated worker deaths)")
        invariant.notes.append("\(timedOut) retried workflows timed out after their attempts")
        return invariant
    }

    private func resultRecordedOnce(_ workflows: [String: Row], _ history: [String: [HistoryRow]]) -> ChaosInvariant {
        var invariant = ChaosInvariant(name: "results recorded once")
        for (id, row) in workflows.sorted(by: { $0.key < $1.key }) where evidence.tracks[id] != nil {
            invariant.checked += 1
            let applied = (history[id] ?? []).filter { $0.type == "completed" && $0.outcome == "applied" }.count
            // An attempt that completes after an accepted cancel ends the workflow as
            // cancelled: its `completed` is applied, and records no result.
            let cancelledWhileRunning =
                row.status == .cancelled
                && (history[id] ?? []).contains { $0.type == "cancel_requested" && $0.outcome == "applied" }
            let expected: Set<Int> = row.status == .completed ? [1] : cancelledWhileRunning ? [0, 1] : [0]
            if !expected.contains(applied) {
                invariant.violations.append("\(id): \(row.status.rawValue) with \(applied) applied 'completed' events")
            }
            if row.hasResult != (row.status == .completed) {
                invariant.violations.append(
                    "\(id): \(row.status.rawValue) \(row.hasResult ? "with" : "without") a result")
            }
            if row.status == .completed, row.resultNodes != (0..<row.steps).map({ "step_\($0)" }) {
                invariant.violations.append(
                    "\(id): result steps \(row.resultNodes), expected step_0…step_\(row.steps - 1) once each")
            }
        }
        return invariant
    }

    /// Per workflow, node executions beyond the first (from the workers' own log)
    /// against the crashes that hit it: a killed worker that held one of its attempts
    /// (not ended before the kill) and a scheduler kill during its life (an outbox
    /// re-send can run a duplicate command). The asking node runs again after its answer.
    private func reExecutionsBounded(_ workflows: [String: Row], _ history: [String: [HistoryRow]]) -> ChaosInvariant {
        var invariant = ChaosInvariant(name: "steps executed more than once <= crashes that hit the workflow")
        var executions: [String: [String: Int]] = [:]
        let log = (try? String(contentsOfFile: evidence.executionLogPath, encoding: .utf8)) ?? ""
        for line in log.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 3 else { continue }
            executions[String(fields[0]), default: [:]][String(fields[1]), default: 0] += 1
        }
        let workerKills = evidence.faults.filter { $0.kind == .workerKill }.flatMap { fault in
            fault.killedPIDs.map { (pid: $0, at: fault.startedAt.timeIntervalSince1970) }
        }
        let schedulerKills = evidence.faults.filter { $0.kind == .schedulerKill || $0.kind == .schedulerOutage }
        // A broker or database restart may make the outbox send a command again (its
        // confirm or its delete was lost); the copy runs the node in flight before it is
        // told to stop: the issue's bar, "re-executed ≤ the one in flight", per restart.
        let serviceRestarts = evidence.faults.filter { $0.kind == .rabbitmqRestart || $0.kind == .postgresRestart }
        var totalExtra = 0
        for (id, track) in evidence.tracks.sorted(by: { $0.key < $1.key }) {
            guard let row = workflows[id] else { continue }
            invariant.checked += 1
            let extra = (executions[id] ?? [:]).values.map { $0 - 1 }.reduce(0, +)
            totalExtra += extra
            let rows = history[id] ?? []
            var killHits = 0
            for kill in workerKills {
                let hit = rows.contains { started in
                    guard started.type == "started", let worker = started.worker, worker.contains("-\(kill.pid)-")
                    else {
                        return false
                    }
                    let closedAt = rows.filter {
                        $0.attempt > started.attempt
                            || ($0.attempt == started.attempt
                                && ["interrupted", "completed", "failed"].contains($0.type)
                                && $0.outcome == "applied")
                    }.map(\.recordedAt).min()
                    return closedAt.map { $0 > kill.at } ?? true
                }
                if hit { killHits += 1 }
            }
            let end = row.endedAt ?? .infinity
            let schedulerHits = schedulerKills.filter {
                $0.startedAt.timeIntervalSince1970 >= row.createdAt && $0.startedAt.timeIntervalSince1970 <= end
            }.count
            let asked = track.plan?.askAt != nil ? 1 : 0
            let restartHits = serviceRestarts.filter {
                $0.startedAt.timeIntervalSince1970 >= row.createdAt && $0.startedAt.timeIntervalSince1970 <= end
            }.count
            let allowed = killHits + schedulerHits + restartHits + asked
            if extra > allowed {
                let overlapping = evidence.faults.filter {
                    $0.endedAt.timeIntervalSince1970 >= row.createdAt && $0.startedAt.timeIntervalSince1970 <= end
                }.map { "\($0.kind.rawValue)@\(String(format: "%.1f", $0.offset))s" }
                var workersByAttempt: [Int: Set<String>] = [:]
                for started in rows where started.type == "started" {
                    workersByAttempt[started.attempt, default: []].insert(started.worker ?? "?")
                }
                let duplicates = workersByAttempt.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }.map {
                    "attempt \($0.key) started by \($0.value.count) workers (\($0.value.sorted().joined(separator: ", ")))"
                }
                let repeated = (executions[id] ?? [:]).filter { $0.value > 1 }.sorted { $0.key < $1.key }.map {
                    "\($0.key)×\($0.value)"
                }
                invariant.violations.append(
                    "\(id): \(extra) re-executions (\(repeated.joined(separator: " "))), allowed \(allowed) = \(killHits) worker kills + \(schedulerHits) scheduler kills + \(restartHits) broker or database restarts + \(asked) answered question; \(duplicates.isEmpty ? "" : duplicates.joined(separator: "; ") + "; ")faults during its life: \(overlapping.joined(separator: ", "))"
                )
            }
        }
        invariant.notes.append(
            "\(totalExtra) node re-executions in all, from \(log.split(separator: "\n").count) logged executions")
        return invariant
    }

    private func zombiesFenced(_ history: [String: [HistoryRow]]) -> ChaosInvariant {
        var invariant = ChaosInvariant(name: "zombie events fenced")
        let workerEvents: Set<String> = [
            "started", "checkpointed", "progress", "interrupted", "completed", "failed", "redelivered", "handed_back",
        ]
        var fenced: [String: Int] = [:]
        for (id, rows) in history.sorted(by: { $0.key < $1.key }) where evidence.tracks[id] != nil {
            var current = 0
            for row in rows {
                if row.type == "dispatched" { current = max(current, row.attempt) }
                guard workerEvents.contains(row.type) else { continue }
                invariant.checked += 1
                if row.outcome.hasPrefix("ignored: stale") || row.outcome.hasPrefix("ignored: bad_lease")
                    || row.outcome == "ignored: already_terminal"
                {
                    fenced[row.outcome, default: 0] += 1
                } else if row.outcome == "applied", row.attempt != current {
                    invariant.violations.append(
                        "\(id): '\(row.type)' of attempt \(row.attempt) applied while attempt \(current) was current (seq \(row.seq))"
                    )
                }
            }
        }
        invariant.notes.append(
            "fenced: "
                + (fenced.isEmpty
                    ? "none"
                    : fenced.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")))
        return invariant
    }

    private func childrenFollowTheirParent(_ workflows: [String: Row]) -> ChaosInvariant {
        var invariant = ChaosInvariant(name: "children of a parent that did not complete are cancelled")
        for track in evidence.tracks.values.sorted(by: { $0.id < $1.id }) {
            guard let parentId = track.parentId, let parent = workflows[parentId], let child = workflows[track.id],
                parent.status.isTerminal, parent.status != .completed
            else { continue }
            invariant.checked += 1
            let endedBefore = (child.endedAt ?? .infinity) <= (parent.endedAt ?? 0)
            if child.status != .cancelled, !endedBefore {
                invariant.violations.append(
                    "\(track.id): \(child.status.rawValue) after its parent ended \(parent.status.rawValue)")
            }
        }
        return invariant
    }

    private func queuesAccounted(outbox: Int, strayTimers: [String]) -> ChaosInvariant {
        var invariant = ChaosInvariant(name: "nothing left unaccounted in any queue")
        for queue in evidence.queueCounts {
            invariant.checked += 1
            if queue.name.hasSuffix(".dead") {
                if queue.unacked > 0 { invariant.violations.append("\(queue.name): \(queue.unacked) unacknowledged") }
                continue
            }
            if queue.ready + queue.unacked > 0 {
                invariant.violations.append("\(queue.name): \(queue.ready) ready, \(queue.unacked) unacknowledged")
            }
        }
        for letter in evidence.deadLetters {
            if let reason = letter.reason {
                invariant.notes.append("dead letter in \(letter.queue): \(reason)")
            } else {
                invariant.violations.append("\(letter.queue): a dead letter without x-baton-dead-letter-reason")
            }
        }
        invariant.checked += 2
        if outbox > 0 { invariant.violations.append("outbox: \(outbox) rows never published") }
        for timer in strayTimers { invariant.violations.append("timer left on an ended workflow: \(timer)") }
        invariant.notes.append("\(evidence.deadLetters.count) dead letters, outbox \(outbox) rows")
        return invariant
    }

    private func daemonsAlive() -> ChaosInvariant {
        var invariant = ChaosInvariant(name: "no daemon died that the driver did not kill")
        invariant.checked = evidence.unexpectedExits.count + evidence.missingDaemons.count
        for (daemon, exit) in evidence.unexpectedExits {
            invariant.violations.append(
                "\(daemon.name) pid \(daemon.pid) exited \(exit.signalled ? "on signal" : "with status") \(exit.status) at \(exit.at); log \(daemon.log)"
            )
        }
        for daemon in evidence.missingDaemons
        where !evidence.unexpectedExits.contains(where: { $0.0.pid == daemon.pid }) {
            invariant.violations.append("\(daemon.name) pid \(daemon.pid) is gone; log \(daemon.log)")
        }
        return invariant
    }

    private func faultsInjected() -> ChaosInvariant {
        var invariant = ChaosInvariant(name: "every planned fault was injected")
        for fault in evidence.faults {
            invariant.checked += 1
            if let error = fault.error {
                invariant.violations.append("\(fault.kind.rawValue)@\(String(format: "%.1f", fault.offset))s: \(error)")
            }
        }
        return invariant
    }
}

/// The broker's side of the accounting.
enum ChaosQueues {
    /// Every queue of this run (`prefix…`) with its ready and unacknowledged counts.
    static func counts(root: URL, prefix: String) async throws -> [(name: String, ready: Int, unacked: Int)] {
        let output = try await ChaosServices.capture(
            root.appendingPathComponent("scripts/chaos.sh"),
            ["rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name", "messages", "messages_unacknowledged"])
        return output.split(separator: "\n").compactMap { line in
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count == 3, fields[0].hasPrefix(prefix), let ready = Int(fields[1]),
                let unacked = Int(fields[2])
            else { return nil }
            return (String(fields[0]), ready, unacked)
        }
    }

    /// The reason of every message in the dead-letter queues (read, then left in place).
    static func deadLetters(brokerURL: String, queues: [String]) async throws -> [(queue: String, reason: String?)] {
        let connection = try await AMQPConnection.connect(to: try AMQPEndpoint(url: brokerURL), name: "chaos-checks")
        var letters: [(queue: String, reason: String?)] = []
        for queue in queues {
            for _ in 0..<200 {
                guard let delivery = try await connection.get(queue) else { break }
                letters.append((queue, DeadLetter.reason(of: delivery)))
            }
        }
        await connection.close()  // the unacknowledged deliveries go back to their queues
        return letters
    }
}
