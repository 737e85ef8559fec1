import BatonContracts
import BatonPostgres
import BatonWorkflow
import Foundation

/// The scheduler's reads and writes, each inside a caller's transaction.
///
/// Every change follows one pattern: lock the workflow row, feed the event to its
/// `WorkflowStateMachine`, append the event to the history, execute the returned
/// actions as SQL (a dispatch becomes an outbox row, a timer a `timers` row), save the
/// machine. State and the commands it implies therefore commit together or not at all.
///
/// Transactions that touch several workflows lock them in workflow-id order (callers
/// sort), and the timer scan skips locked rows, so replicas never deadlock.
enum WorkflowStore {
    enum SubmitOutcome: Sendable {
        case created(WorkflowView)
        case existing(WorkflowView)
        /// The id is taken by a workflow with another agent, input, caller or parent.
        case conflict(WorkflowView)
        /// `parentId` names no workflow.
        case parentNotFound(String)
        /// No live worker serves the agent; `known` are those they serve.
        case unknownAgent(known: [String])
    }

    enum Outcome: Sendable, Equatable {
        /// Applied or recorded as ignored; `dispatched` tells whether an outbox row was written.
        case applied(dispatched: Bool, ignored: WorkflowAction.IgnoreReason?)
        case duplicate
        case unknownWorkflow

        var dispatched: Bool {
            if case .applied(true, _) = self { return true }
            return false
        }
    }

    struct Context: Sendable {
        var commandQueue: String
        var defaults: WorkflowOptions
        /// Checkpoints kept per workflow (older ones are deleted); at least 1.
        var checkpointRetention: Int
    }

    // MARK: Submit

    /// Creates the workflow the request describes, or finds the one it already made.
    ///
    /// A child workflow's id is made here, not by its parent's agent: it is the parent's
    /// id, the key the parent gave (`id`, or the agent's name) and a random part, so that
    /// nobody can take a child's id before its parent submits it. The same parent and
    /// key find the same child again (a resumed parent resubmitting after a crash).
    static func submit(
        _ request: SubmitWorkflowRequest, now: Date, context: Context, on db: isolated PostgresConnection
    ) throws -> SubmitOutcome {
        let input = request.input ?? .object([:])
        let options = request.options ?? context.defaults
        let fingerprint = JSONColumn.text(
            SubmitFingerprint(
                agent: request.agent, input: input, options: options, caller: request.caller,
                parentId: request.parentId))
        let id: String
        var childKey: String?
        if let parent = request.parentId {
            guard try db.query("SELECT 1 AS one FROM workflows WHERE id = $1", [parent]).first != nil else {
                return .parentNotFound(parent)
            }
            let key = childKeyOf(request, parent: parent)
            if let existing = try db.query(
                "SELECT id, fingerprint FROM workflows WHERE parent_id = $1 AND child_key = $2", [parent, key]
            ).first {
                return try existingOutcome(
                    id: try existing.string("id"), sameRequest: try existing.string("fingerprint") == fingerprint,
                    on: db)
            }
            childKey = key
            id = SubmitWorkflowRequest.childId(of: parent, key: "\(key)-\(newLeaseToken().prefix(8))")
        } else {
            id = request.id ?? UUID().uuidString.lowercased()
        }
        let machine = WorkflowStateMachine(options: options, agent: request.agent)
        let inserted = try db.query(
            """
            INSERT INTO workflows (
                id, agent, input, fingerprint, status, attempt, machine, created_at, updated_at, caller, parent_id,
                child_key)
            VALUES ($1, $2, $3::jsonb, $4, $5, 0, $6::jsonb, $7::timestamptz, $7::timestamptz, $8, $9, $10)
            ON CONFLICT DO NOTHING
            """,
            [
                id, request.agent, JSONColumn.text(input), fingerprint, machine.status.rawValue,
                JSONColumn.text(machine), timestamp(now), request.caller, request.parentId, childKey,
            ])
        if inserted.affectedRows == 0 {
            if let parent = request.parentId, let childKey,
                let existing = try db.query(
                    "SELECT id, fingerprint FROM workflows WHERE parent_id = $1 AND child_key = $2", [parent, childKey]
                ).first
            {
                return try existingOutcome(
                    id: try existing.string("id"), sameRequest: try existing.string("fingerprint") == fingerprint,
                    on: db)
            }
            let existing = try db.query("SELECT fingerprint FROM workflows WHERE id = $1", [id])
            return try existingOutcome(
                id: id, sameRequest: try existing.first?.string("fingerprint") == fingerprint, on: db)
        }
        _ = try transition(id, .submitted, now: now, random: 0, context: context, on: db)
        return .created(try requireView(id: id, on: db))
    }

    private static func existingOutcome(
        id: String, sameRequest: Bool, on db: isolated PostgresConnection
    ) throws -> SubmitOutcome {
        let view = try requireView(id: id, on: db)
        return sameRequest ? .existing(view) : .conflict(view)
    }

    /// The key of a child within its parent: the id the parent's agent asked for
    /// (without the parent's id in front, as `childId(of:key:)` builds it), or its agent.
    private static func childKeyOf(_ request: SubmitWorkflowRequest, parent: String) -> String {
        guard let requested = request.id else { return request.agent }
        let prefix = "\(parent)."
        return requested.hasPrefix(prefix) ? String(requested.dropFirst(prefix.count)) : requested
    }

    // MARK: Transitions

    /// Applies a worker's event; a redelivered event (same `eventId`) changes nothing.
    static func apply(
        _ event: WorkerEvent, now: Date, random: Double, context: Context, on db: isolated PostgresConnection
    ) throws -> Outcome {
        let recordable: Bool
        if case .heartbeat = event.kind { recordable = false } else { recordable = true }
        return try transition(
            event.workflowId,
            .worker(event.kind, attempt: event.attempt, workerId: event.workerId, leaseToken: event.leaseToken),
            now: now,
            random: random, context: context, on: db,
            history: recordable
                ? HistoryEntry(eventId: event.eventId, type: event.type, payload: historyPayload(event)) : nil)
    }

    /// Locks the workflow, runs the machine, records the event, executes the actions.
    static func transition(
        _ workflowId: String, _ event: WorkflowEvent, now: Date, random: Double, context: Context,
        on db: isolated PostgresConnection, history: HistoryEntry? = nil
    ) throws -> Outcome {
        let rows = try db.query(
            "SELECT agent, input, caller, parent_id, machine FROM workflows WHERE id = $1 FOR UPDATE", [workflowId])
        guard let row = rows.first else { return .unknownWorkflow }
        guard var machine = try JSONColumn.value(WorkflowStateMachine.self, from: row["machine"]) else {
            throw PostgresError.unexpectedResult("workflow \(workflowId) has no state machine")
        }
        let attemptBefore = machine.attempt
        let wasTerminal = machine.isTerminal
        let actions = machine.handle(event, now: now, random: random, newLeaseToken: Self.newLeaseToken())
        var ignored: WorkflowAction.IgnoreReason?
        for case .ignore(let reason) in actions { ignored = reason }
        let entry = history ?? HistoryEntry(eventId: nil, type: event.historyType, payload: event.historyPayload)
        if history != nil || event.isRecordedByDefault {
            let recorded = try record(
                workflowId: workflowId, eventId: entry.eventId, attempt: event.attempt ?? attemptBefore,
                type: entry.type, outcome: ignored.map { "ignored: \($0.rawValue)" } ?? "applied",
                payload: entry.payload, on: db)
            if !recorded { return .duplicate }
        }
        try execute(
            actions, machine: machine, workflowId: workflowId, agent: try row.string("agent"),
            inputText: row["input"], caller: row["caller"], now: now, context: context, on: db,
            saving: !wasTerminal)
        var dispatched = actions.contains { if case .dispatch = $0 { true } else { false } }
        // Parent and child workflows: whichever happens second, the child ending or the
        // parent starting to wait for it, resumes the parent.
        for case .recordInterrupt(let request) in actions {
            if let child = request["childWorkflowId"]?.stringValue {
                dispatched =
                    try resumeParent(
                        workflowId, withOutcomeOf: child, now: now, random: random, context: context, on: db)
                    || dispatched
            }
        }
        if machine.isTerminal, actions.contains(where: \.endsWorkflow) {
            if let parent = row["parent_id"] {
                dispatched =
                    try resumeParent(
                        parent, withOutcomeOf: workflowId, now: now, random: random, context: context, on: db)
                    || dispatched
            }
            if machine.status != .completed {
                try cancelChildren(of: workflowId, ended: machine.status, now: now, context: context, on: db)
            }
        }
        return .applied(dispatched: dispatched, ignored: ignored)
    }

    /// A parent that ended without completing takes its unfinished children with it:
    /// their results would reach nobody. (A completed parent's children run on: it did
    /// not wait for them.) Locks parent before children, the reverse of `resumeParent`;
    /// a deadlock between the two is detected by PostgreSQL and the loser retried.
    private static func cancelChildren(
        of parent: String, ended status: WorkflowStatus, now: Date, context: Context, on db: isolated PostgresConnection
    ) throws {
        let children = try db.query(
            "SELECT id FROM workflows WHERE parent_id = $1 AND finished_at IS NULL ORDER BY id", [parent])
        for child in children.all {
            _ = try transition(
                try child.string("id"),
                .cancelRequested(reason: "its parent workflow \(parent) ended (\(status.rawValue))"),
                now: now, random: 0, context: context, on: db)
        }
    }

    /// Answers `parent`'s wait with `child`'s outcome, if the parent waits for that child
    /// and the child has ended; true when the parent was dispatched again. Locks the
    /// parent after the child (the child's transaction holds it): no transaction locks
    /// a child after its parent, so the order cannot deadlock.
    private static func resumeParent(
        _ parent: String, withOutcomeOf child: String, now: Date, random: Double, context: Context,
        on db: isolated PostgresConnection
    ) throws -> Bool {
        guard
            let parentRow = try db.query(
                "SELECT status, interrupt->>'childWorkflowId' AS waits_for FROM workflows WHERE id = $1 FOR UPDATE",
                [parent]
            ).first,
            parentRow["status"] == WorkflowStatus.awaitingInput.rawValue, parentRow["waits_for"] == child,
            let childRow = try db.query(
                "SELECT agent, status, result, error, usage FROM workflows WHERE id = $1", [child]
            ).first,
            let status = WorkflowStatus(rawValue: try childRow.string("status")), status.isTerminal
        else { return false }
        let outcome = ChildWorkflowOutcome(
            id: child, agent: try childRow.string("agent"), status: status,
            result: try JSONColumn.value(JSONValue.self, from: childRow["result"]),
            error: try JSONColumn.value(ActivityFailure.self, from: childRow["error"]),
            usage: try JSONColumn.value(UsageSummary.self, from: childRow["usage"]))
        return try transition(
            parent, .humanInput(try JSONValue(encoding: outcome)), now: now, random: random, context: context, on: db
        ).dispatched
    }

    /// The question workflow `id` waits on, if it waits for input (locked until the
    /// transaction ends, so that the answer is checked against the question it answers).
    static func pendingQuestion(of id: String, on db: isolated PostgresConnection) throws -> InterruptRequest? {
        try db.query(
            "SELECT interrupt FROM workflows WHERE id = $1 AND status = $2 FOR UPDATE",
            [id, WorkflowStatus.awaitingInput.rawValue]
        ).first.flatMap { row in
            // A question this build cannot read is not checked (the agent reads the answer).
            (try? JSONColumn.value(InterruptRequest.self, from: row["interrupt"])) ?? nil
        }
    }

    struct HistoryEntry {
        var eventId: UUID?
        var type: String
        var payload: String?
    }

    /// Runs the machine's actions as SQL and, with `saving`, saves the machine. A workflow
    /// that had already ended is not saved again: nothing of it changes, and its
    /// `finished_at` and `updated_at` must keep the time it ended (a zombie's late event
    /// once moved them).
    private static func execute(
        _ actions: [WorkflowAction], machine: WorkflowStateMachine, workflowId: String, agent: String,
        inputText: String?, caller: String?, now: Date, context: Context, on db: isolated PostgresConnection,
        saving: Bool
    ) throws {
        var error: ActivityFailure?
        var interrupt: JSONValue?? = .none
        var usage: UsageSummary?
        for action in actions {
            switch action {
            case .dispatch(let attempt, let step, let humanInput, let leaseToken):
                let checkpoint = try step.flatMap { try loadCheckpoint(workflowId: workflowId, step: $0, on: db) }
                // Only a dispatch needs the input: most events never parse it.
                let input = try JSONColumn.value(JSONValue.self, from: inputText) ?? .null
                let command = WorkerCommand.runActivity(
                    RunActivity(
                        workflowId: workflowId, attempt: attempt, agent: agent, input: input, checkpoint: checkpoint,
                        humanInput: humanInput, heartbeatIntervalSeconds: machine.options.heartbeatIntervalSeconds,
                        caller: caller, leaseToken: leaseToken,
                        eventsRoutingKey: EventPartitions.routingKey(for: workflowId)))
                try enqueue(command, exchange: "", routingKey: context.commandQueue, workflowId: workflowId, on: db)
                try record(
                    workflowId: workflowId, eventId: nil, attempt: attempt, type: "dispatched", outcome: "applied",
                    payload: JSONColumn.text(["resume_from_step": step]), on: db)
                interrupt = .some(nil)
            case .setTimer(let timer, let at, let attempt):
                try db.query(
                    """
                    INSERT INTO timers (workflow_id, kind, attempt, fire_at) VALUES ($1, $2, $3, $4::timestamptz)
                    ON CONFLICT (workflow_id, kind) DO UPDATE SET attempt = excluded.attempt, fire_at = excluded.fire_at
                    """, [workflowId, timer.rawValue, String(attempt), timestamp(at)])
            case .cancelTimer(let timer):
                try db.query("DELETE FROM timers WHERE workflow_id = $1 AND kind = $2", [workflowId, timer.rawValue])
            case .cancelActivity(let attempt, let lease):
                try enqueue(
                    .cancelActivity(CancelActivity(workflowId: workflowId, attempt: attempt, workerId: lease)),
                    exchange: WorkerCommand.controlExchange(for: context.commandQueue), routingKey: "",
                    workflowId: workflowId, on: db)
            case .storeCheckpoint(let checkpoint):
                var body = checkpoint
                body.state = .null  // stored once, in its own column
                try db.query(
                    """
                    INSERT INTO checkpoints (workflow_id, step, attempt, next_nodes, state, body)
                    VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb) ON CONFLICT DO NOTHING
                    """,
                    [
                        workflowId, String(checkpoint.step), String(machine.attempt),
                        JSONColumn.text(checkpoint.nextNodes), JSONColumn.text(checkpoint.state), JSONColumn.text(body),
                    ])
                // Saved with the machine below, not by a statement of its own.
                if let byNode = checkpoint.usage { usage = UsageSummary(byNode: byNode) }
                if checkpoint.step > context.checkpointRetention {
                    try db.query(
                        "DELETE FROM checkpoints WHERE workflow_id = $1 AND step <= $2",
                        [workflowId, String(checkpoint.step - context.checkpointRetention)])
                }
            case .recordProgress(let progress):
                try db.query(
                    "UPDATE workflows SET progress = $2::jsonb WHERE id = $1", [workflowId, JSONColumn.text(progress)])
            case .recordInterrupt(let request):
                interrupt = .some(request)
            case .recordResult(let output):
                let usage = try db.query(
                    "UPDATE workflows SET result = $2::jsonb WHERE id = $1 RETURNING usage",
                    [workflowId, JSONColumn.text(output)]
                ).first.flatMap { try JSONColumn.value(UsageSummary.self, from: $0["usage"]) }
                // Counted as the transaction runs: a rolled-back transaction (rare) may count twice.
                if let usage { UsageMetrics.record(usage.total, agent: agent) }
            case .recordFailure(let failure), .recordTimedOut(let failure):
                error = failure
            case .recordCancelled(let reason):
                error = ActivityFailure(kind: "cancelled", message: reason, retryable: false)
            case .ignore:
                break
            }
        }
        guard saving else { return }
        var heartbeat: String?
        if case .running(_, _, let lastHeartbeat) = machine.state { heartbeat = timestamp(lastHeartbeat) }
        try db.query(
            """
            UPDATE workflows SET status = $2, attempt = $3, machine = $4::jsonb, checkpoint_step = $5,
                updated_at = $6::timestamptz, last_heartbeat_at = COALESCE($7::timestamptz, last_heartbeat_at),
                finished_at = CASE WHEN $8 THEN $6::timestamptz ELSE finished_at END,
                error = COALESCE($9::jsonb, error),
                interrupt = CASE WHEN $10 THEN $11::jsonb ELSE interrupt END,
                usage = COALESCE($12::jsonb, usage)
            WHERE id = $1
            """,
            [
                workflowId, machine.status.rawValue, String(machine.attempt), JSONColumn.text(machine),
                machine.checkpointStep.map(String.init), timestamp(now), heartbeat,
                machine.isTerminal ? "true" : "false", error.map(JSONColumn.text),
                interrupt == nil ? "false" : "true", interrupt.flatMap { $0 }.map(JSONColumn.text),
                usage.map(JSONColumn.text),
            ])
    }

    private static func enqueue(
        _ command: WorkerCommand, exchange: String, routingKey: String, workflowId: String,
        on db: isolated PostgresConnection
    ) throws {
        try db.query(
            "INSERT INTO outbox (workflow_id, exchange, routing_key, body) VALUES ($1, $2, $3, $4)",
            [workflowId, exchange, routingKey, String(decoding: command.encoded(), as: UTF8.self)])
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
        case .started, .heartbeat, .redelivered, .handedBack:
            JSONColumn.text(["worker": event.workerId])
        default:
            // The lease token is a secret: the history never shows it.
            String(
                decoding: WorkerEvent(
                    eventId: event.eventId, workflowId: event.workflowId, attempt: event.attempt,
                    workerId: event.workerId, kind: event.kind
                ).encoded(), as: UTF8.self)
        }
    }

    // MARK: Reads

    static func loadCheckpoint(workflowId: String, step: Int, on db: isolated PostgresConnection) throws -> Checkpoint?
    {
        guard
            let row = try db.query(
                "SELECT next_nodes, state, body FROM checkpoints WHERE workflow_id = $1 AND step = $2",
                [workflowId, String(step)]
            ).first
        else { return nil }
        let state = try JSONColumn.value(JSONValue.self, from: row["state"]) ?? .null
        if var checkpoint = try JSONColumn.value(Checkpoint.self, from: row["body"]) {
            checkpoint.state = state
            return checkpoint
        }
        return Checkpoint(
            step: step, nextNodes: try JSONColumn.value([String].self, from: row["next_nodes"]) ?? [], state: state)
    }

    /// The newest workflows first, optionally only those in `status` or delegated by `parent`.
    static func list(
        status: WorkflowStatus?, parent: String?, limit: Int, on db: isolated PostgresConnection
    ) throws -> [WorkflowView] {
        // Only the filters given, so that the planner can use the matching index.
        var conditions: [String] = []
        var parameters: [String?] = [String(limit)]
        if let status {
            parameters.append(status.rawValue)
            conditions.append("status = $\(parameters.count)")
        }
        if let parent {
            parameters.append(parent)
            conditions.append("parent_id = $\(parameters.count)")
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try db.query(
            "SELECT \(viewColumns) FROM workflows \(filter) ORDER BY created_at DESC, id LIMIT $1", parameters
        ).all.map(view(from:))
    }

    /// A workflow's history in order, after `sequence`; nil when there is no such workflow.
    static func history(
        id: String, after sequence: Int, limit: Int, on db: isolated PostgresConnection
    ) throws -> [WorkflowHistoryEntry]? {
        guard try db.query("SELECT 1 AS one FROM workflows WHERE id = $1", [id]).first != nil else { return nil }
        return try db.query(
            """
            SELECT seq, type, attempt, outcome, payload, extract(epoch FROM recorded_at) AS recorded
            FROM workflow_events WHERE workflow_id = $1 AND seq > $2 ORDER BY seq LIMIT $3
            """, [id, String(sequence), String(limit)]
        ).all.map { row in
            WorkflowHistoryEntry(
                sequence: try row.int("seq"), type: try row.string("type"), attempt: try row.int("attempt"),
                outcome: try row.string("outcome"), payload: try JSONColumn.value(JSONValue.self, from: row["payload"]),
                recordedAt: Date(timeIntervalSince1970: Double(try row.string("recorded")) ?? 0))
        }
    }

    static func requireView(id: String, on db: isolated PostgresConnection) throws -> WorkflowView {
        guard let view = try view(id: id, on: db) else {
            throw PostgresError.unexpectedResult("workflow \(id) vanished")
        }
        return view
    }

    static func view(id: String, on db: isolated PostgresConnection) throws -> WorkflowView? {
        try db.query("SELECT \(viewColumns) FROM workflows WHERE id = $1", [id]).first.map(view(from:))
    }

    private static let viewColumns = """
        id, agent, status, attempt, input, progress, result, error, interrupt, checkpoint_step, caller, parent_id, usage,
        extract(epoch FROM created_at) AS created, extract(epoch FROM updated_at) AS updated
        """

    private static func view(from row: PostgresRow) throws -> WorkflowView {
        let id = try row.string("id")
        guard let status = WorkflowStatus(rawValue: try row.string("status")) else {
            throw PostgresError.unexpectedResult("workflow \(id) has an unknown status")
        }
        return WorkflowView(
            id: id, agent: try row.string("agent"), status: status, attempt: try row.int("attempt"),
            input: try JSONColumn.value(JSONValue.self, from: row["input"]) ?? .null,
            progress: try JSONColumn.value(ActivityProgress.self, from: row["progress"]),
            result: try JSONColumn.value(JSONValue.self, from: row["result"]),
            error: try JSONColumn.value(ActivityFailure.self, from: row["error"]),
            checkpointStep: row["checkpoint_step"].flatMap { Int($0) },
            interrupt: try JSONColumn.value(JSONValue.self, from: row["interrupt"]),
            caller: row["caller"], parentId: row["parent_id"],
            usage: try JSONColumn.value(UsageSummary.self, from: row["usage"]),
            createdAt: Date(timeIntervalSince1970: Double(try row.string("created")) ?? 0),
            updatedAt: Date(timeIntervalSince1970: Double(try row.string("updated")) ?? 0))
    }

    /// A fresh attempt secret: 128 random bits as hex.
    static func newLeaseToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let word = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - word.count) + word
        }.joined()
    }

    /// The range of instants the scheduler stores: a date outside it (which validated
    /// options cannot produce) is clamped rather than allowed to overflow.
    static let storableDates = Date(timeIntervalSince1970: 0)...Date(timeIntervalSince1970: 253_402_300_799)

    /// Microsecond-precise UTC text that PostgreSQL reads as timestamptz.
    static func timestamp(_ date: Date) -> String {
        let given = date.timeIntervalSince1970
        let clamped = given.isNaN ? 0 : min(max(given, 0), storableDates.upperBound.timeIntervalSince1970)
        let micros = Int64((clamped * 1_000_000).rounded())
        var seconds = time_t(micros / 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%06d+00", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec, Int32(micros % 1_000_000))
    }
}

/// What makes two submissions of one id the same request. Caller and parent count,
/// so that a submission by someone else is a conflict, never adopted as theirs (both
/// are left out when absent, keeping fingerprints of earlier workflows unchanged).
private struct SubmitFingerprint: Encodable {
    var agent: String
    var input: JSONValue
    var options: WorkflowOptions
    var caller: String?
    var parentId: String?
}

extension WorkflowAction {
    /// Records how the workflow ended.
    var endsWorkflow: Bool {
        switch self {
        case .recordResult, .recordFailure, .recordTimedOut, .recordCancelled: true
        default: false
        }
    }
}

extension WorkflowEvent {
    /// The attempt an event speaks for, when it names one.
    var attempt: Int? {
        switch self {
        case .worker(_, let attempt, _, _), .timerFired(_, let attempt): attempt
        default: nil
        }
    }

    /// Scheduler-side events are recorded in the history; worker events pass their own entry.
    var isRecordedByDefault: Bool {
        if case .worker = self { return false }
        return true
    }

    var historyType: String {
        switch self {
        case .submitted: "submitted"
        case .worker(let kind, _, _, _): WorkerEvent(workflowId: "", attempt: 0, workerId: "", kind: kind).type
        case .humanInput: "human_input"
        case .cancelRequested: "cancel_requested"
        case .timerFired(let timer, _): "timer_\(timer.rawValue)"
        }
    }

    var historyPayload: String? {
        switch self {
        case .humanInput(let answer): JSONColumn.text(["answer": answer])
        case .cancelRequested(let reason): JSONColumn.text(["reason": reason])
        default: nil
        }
    }
}
