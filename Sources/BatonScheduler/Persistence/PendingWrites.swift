import BatonContracts
import BatonPostgres
import BatonWorkflow
import Foundation

/// The writes of a transaction that nothing in it reads back, kept until the commit
/// and then sent set-at-a-time: one statement per table for the whole batch of events
/// (`… FROM unnest($1::text[], …)`), all of them in the `COMMIT`'s round trip.
///
/// Writes to one row merge as the statements one by one would have left it: the
/// latest machine wins, a timer's last arming or cancelling wins, and the error, usage
/// and interrupt of an earlier event stay unless a later one changes them.
struct PendingWrites {
    private var history: [HistoryRecord] = []
    private var updates: [String: WorkflowUpdate] = [:]
    private var heartbeats: [String: Date] = [:]
    private var progress: [String: ActivityProgress] = [:]
    private var timers: [TimerKey: TimerChange] = [:]
    private var outbox: [OutboxMessage] = []
    /// Statements kept as they are, in order (checkpoint compactions that read first,
    /// states moved out of rows stored before migration 10).
    private var statements: [PostgresQuery] = []
    private var checkpoints: [CheckpointRows.Write] = []
    /// Retention: per workflow, the newest step whose checkpoint goes.
    private var retentionCuts: [String: Int] = [:]
    /// Workflows that keep only this newest checkpoint (stored whole).
    private var compactions: [String: Int] = [:]

    struct TimerKey: Hashable, Comparable {
        var workflowId: String
        var timer: WorkflowTimer

        static func < (left: TimerKey, right: TimerKey) -> Bool {
            (left.workflowId, left.timer.rawValue) < (right.workflowId, right.timer.rawValue)
        }
    }

    enum TimerChange {
        case set(at: Date, attempt: Int)
        case delete
    }

    var isEmpty: Bool {
        history.isEmpty && updates.isEmpty && progress.isEmpty && timers.isEmpty && outbox.isEmpty
            && statements.isEmpty && checkpoints.isEmpty && retentionCuts.isEmpty && compactions.isEmpty
    }

    mutating func append(_ entry: HistoryRecord) { history.append(entry) }

    mutating func save(_ update: WorkflowUpdate) {
        if case .running(_, _, let lastHeartbeat) = update.machine.state { heartbeats[update.id] = lastHeartbeat }
        guard let earlier = updates[update.id] else {
            updates[update.id] = update
            return
        }
        var merged = update
        merged.error = update.error ?? earlier.error
        merged.usage = update.usage ?? earlier.usage
        merged.result = update.result ?? earlier.result
        if case .unchanged = update.interrupt { merged.interrupt = earlier.interrupt }
        updates[update.id] = merged
    }

    mutating func record(_ progress: ActivityProgress, of workflowId: String) {
        self.progress[workflowId] = progress
    }

    mutating func change(_ timer: WorkflowTimer, of workflowId: String, to change: TimerChange) {
        timers[TimerKey(workflowId: workflowId, timer: timer)] = change
    }

    func timerChange(_ timer: WorkflowTimer, of workflowId: String) -> TimerChange? {
        timers[TimerKey(workflowId: workflowId, timer: timer)]
    }

    mutating func enqueue(_ message: OutboxMessage) { outbox.append(message) }

    mutating func append(_ statement: PostgresQuery) { statements.append(statement) }

    mutating func store(_ checkpoint: CheckpointRows.Write, retention: Int) {
        checkpoints.append(checkpoint)
        if checkpoint.step > retention { retentionCuts[checkpoint.workflowId] = checkpoint.step - retention }
    }

    /// The workflow keeps only its checkpoint `step`, stored whole: its older checkpoints
    /// still waiting here are not written at all.
    mutating func keepOnly(checkpoint step: Int, of workflowId: String) {
        checkpoints.removeAll { $0.workflowId == workflowId && $0.step < step }
        retentionCuts[workflowId] = nil
        compactions[workflowId] = step
    }

    /// The statements that write all of it; rows in id order, so that two batches lock
    /// the rows they share in the same order.
    func queries() -> [PostgresQuery] {
        var queries: [PostgresQuery] = []
        if !history.isEmpty { queries.append(historyInsert()) }
        if !updates.isEmpty { queries.append(workflowUpdate()) }
        if !progress.isEmpty { queries.append(progressUpdate()) }
        queries += statements
        // Stored, then retention, then compaction: each deletes what the one before left.
        queries += CheckpointRows.inserts(checkpoints)
        queries += CheckpointRows.retention(
            deletingThrough: retentionCuts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        queries += CheckpointRows.keepingOnly(newest: compactions.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        let changes = timers.sorted { $0.key < $1.key }
        var armed: [(TimerKey, Date, Int)] = []
        var cancelled: [TimerKey] = []
        for (key, change) in changes {
            switch change {
            case .set(let at, let attempt): armed.append((key, at, attempt))
            case .delete: cancelled.append(key)
            }
        }
        if !armed.isEmpty {
            queries.append(
                """
                INSERT INTO timers (workflow_id, kind, attempt, fire_at)
                SELECT * FROM unnest(\(armed.map(\.0.workflowId))::text[], \(armed.map(\.0.timer.rawValue))::text[],
                    \(armed.map(\.2))::int8[], \(armed.map(\.1))::timestamptz[])
                ON CONFLICT (workflow_id, kind) DO UPDATE SET attempt = excluded.attempt, fire_at = excluded.fire_at
                """)
        }
        if !cancelled.isEmpty {
            queries.append(
                """
                DELETE FROM timers t USING unnest(\(cancelled.map(\.workflowId))::text[], \(cancelled.map(\.timer.rawValue))::text[])
                    AS d(workflow_id, kind)
                WHERE t.workflow_id = d.workflow_id AND t.kind = d.kind
                """)
        }
        if outbox.contains(where: { $0.heldFor == nil }) { queries.append(outboxInsert()) }
        if outbox.contains(where: { $0.heldFor != nil }) { queries.append(dispatchQueueInsert()) }
        return queries
    }

    private func historyInsert() -> PostgresQuery {
        """
        INSERT INTO workflow_events (workflow_id, event_id, attempt, type, outcome, payload)
        SELECT e.workflow_id, e.event_id, e.attempt, e.type, e.outcome, e.payload::jsonb
        FROM unnest(\(history.map(\.workflowId))::text[], \(PostgresNullableArray(history.map(\.eventId)))::uuid[],
            \(history.map(\.attempt))::int8[], \(history.map(\.type))::text[], \(history.map(\.outcome))::text[],
            \(PostgresNullableArray(history.map(\.payload)))::text[])
            WITH ORDINALITY AS e(workflow_id, event_id, attempt, type, outcome, payload, n)
        ORDER BY e.n
        """
    }

    private func workflowUpdate() -> PostgresQuery {
        let rows = updates.values.sorted { $0.id < $1.id }
        let machines = rows.map(\.machine)
        let interrupts: [String?] = rows.map {
            if case .set(let request) = $0.interrupt { return JSONColumn.text(request) }
            return nil
        }
        let changesInterrupt: [Bool] = rows.map {
            if case .unchanged = $0.interrupt { return false }
            return true
        }
        return """
            UPDATE workflows AS w SET status = u.status, attempt = u.attempt, machine = u.machine::jsonb,
                checkpoint_step = u.checkpoint_step, updated_at = u.updated_at,
                last_heartbeat_at = COALESCE(u.heartbeat, w.last_heartbeat_at),
                finished_at = CASE WHEN u.terminal THEN u.updated_at ELSE w.finished_at END,
                error = COALESCE(u.error::jsonb, w.error),
                interrupt = CASE WHEN u.changes_interrupt THEN u.interrupt::jsonb ELSE w.interrupt END,
                usage = COALESCE(u.usage::jsonb, w.usage), result = COALESCE(u.result::jsonb, w.result)
            FROM unnest(
                \(rows.map(\.id))::text[], \(machines.map(\.status.rawValue))::text[], \(machines.map(\.attempt))::int8[],
                \(machines.map { JSONColumn.text($0) })::text[], \(PostgresNullableArray(machines.map(\.checkpointStep)))::int8[],
                \(rows.map(\.now))::timestamptz[], \(PostgresNullableArray(rows.map { heartbeats[$0.id] }))::timestamptz[],
                \(machines.map(\.isTerminal))::bool[], \(PostgresNullableArray(rows.map { $0.error.map(JSONColumn.text) }))::text[],
                \(changesInterrupt)::bool[], \(PostgresNullableArray(interrupts))::text[],
                \(PostgresNullableArray(rows.map { $0.usage.map(JSONColumn.text) }))::text[],
                \(PostgresNullableArray(rows.map { $0.result.map(JSONColumn.text) }))::text[])
                AS u(id, status, attempt, machine, checkpoint_step, updated_at, heartbeat, terminal, error,
                    changes_interrupt, interrupt, usage, result)
            WHERE w.id = u.id
            """
    }

    private func progressUpdate() -> PostgresQuery {
        let rows = progress.sorted { $0.key < $1.key }
        return """
            UPDATE workflows AS w SET progress = u.progress::jsonb
            FROM unnest(\(rows.map(\.key))::text[], \(rows.map { JSONColumn.text($0.value) })::text[]) AS u(id, progress)
            WHERE w.id = u.id
            """
    }

    private func dispatchQueueInsert() -> PostgresQuery {
        let held = outbox.compactMap { message in message.heldFor.map { (message, $0) } }
        return """
            INSERT INTO dispatch_queue (workflow_id, tenant, attempt, routing_key, body, headers)
            SELECT q.workflow_id, q.tenant, q.attempt, q.routing_key, q.body, NULLIF(q.headers, '')::jsonb
            FROM unnest(\(held.map(\.0.workflowId))::text[], \(held.map(\.1.tenant))::text[], \(held.map(\.1.attempt))::int8[],
                \(held.map(\.0.routingKey))::text[], \(held.map { String(decoding: $0.0.body, as: UTF8.self) })::text[],
                \(held.map { Self.headersText($0.0.headers) })::text[])
                WITH ORDINALITY AS q(workflow_id, tenant, attempt, routing_key, body, headers, n)
            ORDER BY q.n
            """
    }

    private func outboxInsert() -> PostgresQuery {
        let outbox = outbox.filter { $0.heldFor == nil }
        return """
            INSERT INTO outbox (workflow_id, exchange, routing_key, body, headers)
            SELECT o.workflow_id, o.exchange, o.routing_key, o.body, NULLIF(o.headers, '')::jsonb
            FROM unnest(\(outbox.map(\.workflowId))::text[], \(outbox.map(\.exchange))::text[],
                \(outbox.map(\.routingKey))::text[], \(outbox.map { String(decoding: $0.body, as: UTF8.self) })::text[],
                \(outbox.map { Self.headersText($0.headers) })::text[])
                WITH ORDINALITY AS o(workflow_id, exchange, routing_key, body, headers, n)
            ORDER BY o.n
            """
    }

    /// A message's headers as a JSON object's text; "" (stored as NULL) for none.
    static func headersText(_ headers: [String: String]) -> String {
        headers.isEmpty ? "" : JSONColumn.text(headers)
    }
}
