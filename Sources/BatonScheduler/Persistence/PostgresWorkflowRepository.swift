import BatonContracts
import BatonPostgres
import BatonWorkflow
import Foundation

/// The workflows in PostgreSQL: `workflows` (a row per workflow, with its machine),
/// `workflow_events` (the history), `checkpoints`, `timers` and `outbox`.
struct PostgresWorkflowRepository: WorkflowRepository {
    let pool: PostgresPool

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any WorkflowTransaction) throws -> T) async throws -> T {
        try await pool.transaction { tx in try body(PostgresWorkflowTransaction(db: tx)) }
    }

    func isTransient(_ error: any Error) -> Bool {
        (error as? PostgresError)?.isTransient ?? false
    }
}

/// One transaction's statements.
struct PostgresWorkflowTransaction: WorkflowTransaction {
    let db: PostgresTransaction

    func lockWorkflow(_ id: String) throws -> StoredWorkflow? {
        guard
            let row = try db.query(
                "SELECT agent, input, caller, machine FROM workflows WHERE id = \(id) FOR UPDATE"
            ).first
        else { return nil }
        guard let machine = try JSONColumn.value(WorkflowStateMachine.self, from: row["machine"]) else {
            throw PostgresError.unexpectedResult("workflow \(id) has no state machine")
        }
        return StoredWorkflow(
            id: id, agent: try row.string("agent"), inputText: try row.string("input"), caller: row["caller"],
            machine: machine)
    }

    func insertWorkflow(_ workflow: NewWorkflow) throws -> Bool {
        let machine = workflow.machine
        return try db.query(
            """
            INSERT INTO workflows (
                id, agent, input, fingerprint, status, attempt, machine, created_at, updated_at, caller, parent_id,
                child_key)
            VALUES (
                \(workflow.id), \(workflow.agent), \(json: workflow.input), \(workflow.fingerprint),
                \(machine.status.rawValue), 0, \(json: machine), \(workflow.now), \(workflow.now), \(workflow.caller),
                \(workflow.parentId), \(workflow.childKey))
            ON CONFLICT DO NOTHING
            """
        ).affectedRows == 1
    }

    func fingerprint(of id: String) throws -> String? {
        try db.query("SELECT fingerprint FROM workflows WHERE id = \(id)").first?.string("fingerprint")
    }

    func child(of parent: String, key: String) throws -> (id: String, fingerprint: String)? {
        guard
            let row = try db.query(
                "SELECT id, fingerprint FROM workflows WHERE parent_id = \(parent) AND child_key = \(key)"
            ).first
        else { return nil }
        return (try row.string("id"), try row.string("fingerprint"))
    }

    func saveWorkflow(_ update: WorkflowUpdate) throws {
        let machine = update.machine
        var heartbeat: Date?
        if case .running(_, _, let lastHeartbeat) = machine.state { heartbeat = lastHeartbeat }
        let interrupt: InterruptRequest?
        let changesInterrupt: Bool
        switch update.interrupt {
        case .unchanged: (interrupt, changesInterrupt) = (nil, false)
        case .set(let request): (interrupt, changesInterrupt) = (request, true)
        case .cleared: (interrupt, changesInterrupt) = (nil, true)
        }
        try db.query(
            """
            UPDATE workflows SET status = \(machine.status.rawValue), attempt = \(machine.attempt),
                machine = \(json: machine), checkpoint_step = \(machine.checkpointStep), updated_at = \(update.now),
                last_heartbeat_at = COALESCE(\(heartbeat), last_heartbeat_at),
                finished_at = CASE WHEN \(machine.isTerminal) THEN \(update.now) ELSE finished_at END,
                error = COALESCE(\(json: update.error), error),
                interrupt = CASE WHEN \(changesInterrupt) THEN \(json: interrupt) ELSE interrupt END,
                usage = COALESCE(\(json: update.usage), usage)
            WHERE id = \(update.id)
            """)
    }

    func appendHistory(_ entry: HistoryRecord) throws -> Bool {
        try db.query(
            """
            INSERT INTO workflow_events (workflow_id, event_id, attempt, type, outcome, payload)
            VALUES (
                \(entry.workflowId), \(entry.eventId), \(entry.attempt), \(entry.type), \(entry.outcome),
                \(jsonText: entry.payload))
            ON CONFLICT (event_id) DO NOTHING
            """
        ).affectedRows == 1
    }

    func enqueue(_ message: OutboxMessage) throws {
        try db.query(
            """
            INSERT INTO outbox (workflow_id, exchange, routing_key, body)
            VALUES (\(message.workflowId), \(message.exchange), \(message.routingKey), \(String(decoding: message.body, as: UTF8.self)))
            """)
    }

    func setTimer(_ timer: WorkflowTimer, of workflowId: String, at: Date, attempt: Int) throws {
        try db.query(
            """
            INSERT INTO timers (workflow_id, kind, attempt, fire_at) VALUES (\(workflowId), \(timer.rawValue), \(attempt), \(at))
            ON CONFLICT (workflow_id, kind) DO UPDATE SET attempt = excluded.attempt, fire_at = excluded.fire_at
            """)
    }

    func deleteTimer(_ timer: WorkflowTimer, of workflowId: String) throws {
        try db.query("DELETE FROM timers WHERE workflow_id = \(workflowId) AND kind = \(timer.rawValue)")
    }

    func storeCheckpoint(_ checkpoint: Checkpoint, of workflowId: String, attempt: Int, retention: Int) throws {
        for query in CheckpointRows.store(checkpoint, of: workflowId, attempt: attempt, retention: retention) {
            try db.query(query)
        }
    }

    func loadCheckpoint(of workflowId: String, step: Int) throws -> Checkpoint? {
        try CheckpointRows.load(of: workflowId, step: step, on: db)
    }

    func recordProgress(_ progress: ActivityProgress, of workflowId: String) throws {
        try db.query("UPDATE workflows SET progress = \(json: progress) WHERE id = \(workflowId)")
    }

    func recordResult(_ output: JSONValue, of workflowId: String) throws -> UsageSummary? {
        try db.query("UPDATE workflows SET result = \(json: output) WHERE id = \(workflowId) RETURNING usage")
            .first.flatMap { try JSONColumn.value(UsageSummary.self, from: $0["usage"]) }
    }

    func unfinishedChildren(of parent: String) throws -> [String] {
        try db.query("SELECT id FROM workflows WHERE parent_id = \(parent) AND finished_at IS NULL ORDER BY id")
            .all.map { try $0.string("id") }
    }

    func outcome(of id: String) throws -> ChildWorkflowOutcome? {
        guard
            let row = try db.query("SELECT agent, status, result, error, usage FROM workflows WHERE id = \(id)").first,
            let status = WorkflowStatus(rawValue: try row.string("status")), status.isTerminal
        else { return nil }
        return ChildWorkflowOutcome(
            id: id, agent: try row.string("agent"), status: status,
            result: try JSONColumn.value(JSONValue.self, from: row["result"]),
            error: try JSONColumn.value(ActivityFailure.self, from: row["error"]),
            usage: try JSONColumn.value(UsageSummary.self, from: row["usage"]))
    }

    /// Skips workflows other transactions hold (`SKIP LOCKED`): the scan never waits for
    /// a lock, so it cannot deadlock with event batches; a busy workflow's timer fires
    /// on the next pass.
    func dueTimers(now: Date, holding held: [WorkflowTimer], limit: Int) throws -> [DueTimer] {
        let due = try db.query(
            """
            SELECT t.workflow_id, t.kind, t.attempt FROM timers t JOIN workflows w ON w.id = t.workflow_id
            WHERE t.fire_at <= \(now) AND NOT (t.kind = ANY(\(held.map(\.rawValue))))
            ORDER BY t.workflow_id, t.kind LIMIT \(limit)
            FOR UPDATE OF w SKIP LOCKED
            """)
        return try due.all.compactMap { row in
            let workflowId = try row.string("workflow_id")
            let kind = try row.string("kind")
            guard let timer = WorkflowTimer(rawValue: kind) else {
                // A kind this build does not know would come back on every pass.
                try db.query("DELETE FROM timers WHERE workflow_id = \(workflowId) AND kind = \(kind)")
                return nil
            }
            return DueTimer(workflowId: workflowId, timer: timer, attempt: try row.int("attempt"))
        }
    }

    func takeTimer(_ due: DueTimer, now: Date) throws -> Bool {
        try db.query(
            """
            DELETE FROM timers WHERE workflow_id = \(due.workflowId) AND kind = \(due.timer.rawValue)
                AND attempt = \(due.attempt) AND fire_at <= \(now)
            """
        ).affectedRows == 1
    }

    func liveAgents(now: Date) throws -> Set<String>? {
        try WorkerRegistry.liveAgents(now: now, on: db)
    }

    func view(of id: String) throws -> WorkflowView? {
        try WorkflowReads.view(of: id, on: db)
    }
}
