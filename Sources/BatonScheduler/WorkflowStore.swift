import BatonContracts
import BatonPostgres
import BatonWorkflow
import Foundation

/// The scheduler's reads and writes, each inside a caller's transaction.
///
/// Every change follows one pattern: lock the workflow row, feed the event to its
/// `WorkflowStateMachine`, execute the returned actions as SQL (a dispatch becomes
/// an outbox row), save the machine. State and the commands it implies therefore
/// commit together or not at all.
enum WorkflowStore {
    enum SubmitOutcome: Sendable {
        case created(WorkflowView)
        case existing(WorkflowView)
        /// The id is taken by a workflow with another agent or input.
        case conflict(WorkflowView)
    }

    enum ApplyOutcome: Sendable, Equatable {
        /// Applied (or recorded as ignored); `dispatched` tells whether an outbox row was written.
        case applied(dispatched: Bool)
        case duplicate
        case unknownWorkflow
    }

    struct Context: Sendable {
        var commandQueue: String
        var options: WorkflowOptions
    }

    static func submit(
        id: String, request: SubmitWorkflowRequest, now: Date, context: Context, on db: isolated PostgresConnection
    ) throws -> SubmitOutcome {
        let input = request.input ?? .object([:])
        let fingerprint = JSONColumn.text(SubmitFingerprint(agent: request.agent, input: input))
        var machine = WorkflowStateMachine(options: context.options)
        let inserted = try db.query(
            """
            INSERT INTO workflows (id, agent, input, fingerprint, status, attempt, machine, created_at, updated_at)
            VALUES ($1, $2, $3::jsonb, $4, $5, 0, $6::jsonb, $7::timestamptz, $7::timestamptz)
            ON CONFLICT (id) DO NOTHING
            """,
            [
                id, request.agent, JSONColumn.text(input), fingerprint, machine.status.rawValue,
                JSONColumn.text(machine), timestamp(now),
            ])
        if inserted.affectedRows == 0 {
            let existing = try db.query("SELECT fingerprint FROM workflows WHERE id = $1", [id])
            guard let view = try view(id: id, on: db) else {
                throw PostgresError.unexpectedResult("workflow \(id) vanished during submit")
            }
            return try existing.first?.string("fingerprint") == fingerprint ? .existing(view) : .conflict(view)
        }
        try record(
            workflowId: id, eventId: nil, attempt: 0, type: "submitted", outcome: "applied", payload: nil, on: db)
        let actions = machine.submitted(now: now)
        try execute(
            actions, machine: machine, workflowId: id, agent: request.agent, input: input, now: now, context: context,
            on: db)
        guard let view = try view(id: id, on: db) else {
            throw PostgresError.unexpectedResult("workflow \(id) vanished during submit")
        }
        return .created(view)
    }

    static func apply(
        _ event: WorkerEvent, now: Date, context: Context, on db: isolated PostgresConnection
    ) throws
        -> ApplyOutcome
    {
        let rows = try db.query(
            "SELECT agent, input, machine FROM workflows WHERE id = $1 FOR UPDATE", [event.workflowId])
        guard let row = rows.first else { return .unknownWorkflow }
        var machine = try JSONColumn.value(WorkflowStateMachine.self, from: row["machine"])!
        let input = try JSONColumn.value(JSONValue.self, from: row["input"]) ?? .null
        let actions = machine.workerEvent(event.kind, attempt: event.attempt, now: now)
        var outcome = "applied"
        for case .ignore(let reason) in actions { outcome = "ignored: \(reason.rawValue)" }
        // Heartbeats are many and idempotent by nature: they update the row, not the history.
        if case .heartbeat = event.kind {
        } else {
            let recorded = try record(
                workflowId: event.workflowId, eventId: event.eventId, attempt: event.attempt, type: event.type,
                outcome: outcome, payload: historyPayload(event), on: db)
            if !recorded { return .duplicate }
        }
        try execute(
            actions, machine: machine, workflowId: event.workflowId, agent: try row.string("agent"), input: input,
            now: now, context: context, on: db)
        return .applied(dispatched: actions.contains { if case .dispatch = $0 { true } else { false } })
    }

    /// Runs the machine's actions as SQL and saves the machine.
    private static func execute(
        _ actions: [WorkflowStateMachine.Action], machine: WorkflowStateMachine, workflowId: String, agent: String,
        input: JSONValue, now: Date, context: Context, on db: isolated PostgresConnection
    ) throws {
        var finished = false
        for action in actions {
            switch action {
            case .dispatch(let attempt, let step):
                let checkpoint = try step.flatMap { try loadCheckpoint(workflowId: workflowId, step: $0, on: db) }
                let command = WorkerCommand.runActivity(
                    RunActivity(
                        workflowId: workflowId, attempt: attempt, agent: agent, input: input, checkpoint: checkpoint,
                        heartbeatIntervalSeconds: machine.options.heartbeatIntervalSeconds))
                try db.query(
                    "INSERT INTO outbox (workflow_id, routing_key, body) VALUES ($1, $2, $3)",
                    [workflowId, context.commandQueue, String(decoding: command.encoded(), as: UTF8.self)])
                try record(
                    workflowId: workflowId, eventId: nil, attempt: attempt, type: "dispatched", outcome: "applied",
                    payload: JSONColumn.text(["resume_from_step": step]), on: db)
            case .storeCheckpoint(let checkpoint):
                try db.query(
                    """
                    INSERT INTO checkpoints (workflow_id, step, attempt, next_nodes, state)
                    VALUES ($1, $2, $3, $4::jsonb, $5::jsonb) ON CONFLICT DO NOTHING
                    """,
                    [
                        workflowId, String(checkpoint.step), String(machine.attempt),
                        JSONColumn.text(checkpoint.nextNodes), JSONColumn.text(checkpoint.state),
                    ])
            case .recordProgress(let progress):
                try db.query(
                    "UPDATE workflows SET progress = $2::jsonb WHERE id = $1", [workflowId, JSONColumn.text(progress)])
            case .recordInterrupt(let request):
                try db.query(
                    "UPDATE workflows SET interrupt = $2::jsonb WHERE id = $1", [workflowId, JSONColumn.text(request)])
            case .recordResult(let output):
                finished = true
                try db.query(
                    "UPDATE workflows SET result = $2::jsonb WHERE id = $1", [workflowId, JSONColumn.text(output)])
            case .recordFailure(let failure):
                finished = true
                try db.query(
                    "UPDATE workflows SET error = $2::jsonb WHERE id = $1", [workflowId, JSONColumn.text(failure)])
            case .ignore:
                break
            }
        }
        var heartbeat: String?
        if case .running(_, let lastHeartbeat) = machine.state { heartbeat = timestamp(lastHeartbeat) }
        try db.query(
            """
            UPDATE workflows SET status = $2, attempt = $3, machine = $4::jsonb, checkpoint_step = $5,
                updated_at = $6::timestamptz, last_heartbeat_at = COALESCE($7::timestamptz, last_heartbeat_at),
                finished_at = CASE WHEN $8 THEN $6::timestamptz ELSE finished_at END
            WHERE id = $1
            """,
            [
                workflowId, machine.status.rawValue, String(machine.attempt), JSONColumn.text(machine),
                machine.checkpointStep.map(String.init), timestamp(now), heartbeat, finished ? "true" : "false",
            ])
    }

    /// Appends to the history; false when an event with this id was recorded before.
    @discardableResult
    private static func record(
        workflowId: String, eventId: UUID?, attempt: Int, type: String, outcome: String, payload: String?,
        on db: isolated PostgresConnection
    ) throws -> Bool {
        let result = try db.query(
            """
            INSERT INTO workflow_events (workflow_id, event_id, attempt, type, outcome, payload)
            VALUES ($1, $2::uuid, $3, $4, $5, $6::jsonb) ON CONFLICT (event_id) DO NOTHING
            """,
            [workflowId, eventId?.uuidString, String(attempt), type, outcome, payload])
        return result.affectedRows == 1
    }

    /// Checkpoint states live in `checkpoints`; the history keeps the step only.
    private static func historyPayload(_ event: WorkerEvent) -> String? {
        switch event.kind {
        case .checkpointed(let checkpoint):
            JSONColumn.text(["step": checkpoint.step])
        case .started, .heartbeat:
            nil
        default:
            String(decoding: event.encoded(), as: UTF8.self)
        }
    }

    static func loadCheckpoint(workflowId: String, step: Int, on db: isolated PostgresConnection) throws -> Checkpoint?
    {
        guard
            let row = try db.query(
                "SELECT next_nodes, state FROM checkpoints WHERE workflow_id = $1 AND step = $2",
                [workflowId, String(step)]
            ).first
        else { return nil }
        return Checkpoint(
            step: step, nextNodes: try JSONColumn.value([String].self, from: row["next_nodes"]) ?? [],
            state: try JSONColumn.value(JSONValue.self, from: row["state"]) ?? .null)
    }

    static func view(id: String, on db: isolated PostgresConnection) throws -> WorkflowView? {
        guard
            let row = try db.query(
                """
                SELECT id, agent, status, attempt, input, progress, result, error, checkpoint_step,
                    extract(epoch FROM created_at) AS created, extract(epoch FROM updated_at) AS updated
                FROM workflows WHERE id = $1
                """, [id]
            ).first
        else { return nil }
        guard let status = WorkflowStatus(rawValue: try row.string("status")) else {
            throw PostgresError.unexpectedResult("workflow \(id) has an unknown status")
        }
        return WorkflowView(
            id: try row.string("id"), agent: try row.string("agent"), status: status, attempt: try row.int("attempt"),
            input: try JSONColumn.value(JSONValue.self, from: row["input"]) ?? .null,
            progress: try JSONColumn.value(ActivityProgress.self, from: row["progress"]),
            result: try JSONColumn.value(JSONValue.self, from: row["result"]),
            error: try JSONColumn.value(ActivityFailure.self, from: row["error"]),
            checkpointStep: row["checkpoint_step"].flatMap { Int($0) },
            createdAt: Date(timeIntervalSince1970: Double(try row.string("created")) ?? 0),
            updatedAt: Date(timeIntervalSince1970: Double(try row.string("updated")) ?? 0))
    }

    /// Microsecond-precise UTC text that PostgreSQL reads as timestamptz.
    static func timestamp(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = time_t(micros / 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%06d+00", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec, Int32(micros % 1_000_000))
    }
}

private struct SubmitFingerprint: Encodable {
    var agent: String
    var input: JSONValue
}
