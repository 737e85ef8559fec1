import BatonContracts
import BatonPostgres
import BatonWorkflow
import Foundation

/// The workflows in PostgreSQL: `workflows` (a row per workflow, with its machine),
/// `workflow_events` (the history), `checkpoints`, `timers` and `outbox`.
struct PostgresWorkflowRepository: WorkflowRepository {
    let pool: PostgresPool

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any WorkflowTransaction) throws -> T) async throws -> T {
        try await pool.transaction { db in
            let transaction = PostgresWorkflowTransaction(db: db)
            let value = try body(transaction)
            try transaction.writeWithCommit()
            return value
        }
    }

    func isTransient(_ error: any Error) -> Bool {
        (error as? PostgresError)?.isTransient ?? false
    }

    func isTimeout(_ error: any Error) -> Bool {
        (error as? PostgresError)?.isTimeout ?? false
    }
}

/// One transaction's statements, set-at-a-time where it counts.
///
/// `prepare` locks a batch's workflows and looks up its event ids in one round trip;
/// the workflows it locked are then read from memory. Writes nothing reads back wait in
/// `PendingWrites` and go out with the `COMMIT`; a read that could see them sends them
/// first, in its own round trip. So a batch of events costs two round trips, however
/// many events it holds (it cost about six per event, one statement each).
final class PostgresWorkflowTransaction: WorkflowTransaction {
    let db: PostgresTransaction
    private var pending = PendingWrites()
    /// Workflows locked by this transaction, as its latest writes left them.
    private var locked: [String: StoredWorkflow] = [:]
    /// Event ids known to be in the history (before or by this transaction).
    private var recordedEvents: Set<UUID> = []
    /// Event ids `prepare` looked up: those not recorded are not in the history.
    private var lookedUpEvents: Set<UUID> = []
    /// The newest stored checkpoint of workflows this transaction looked at (nil: none).
    private var newestCheckpoints: [String: NewestCheckpoint?] = [:]

    struct NewestCheckpoint {
        var step: Int
        /// Its state is in `checkpoints.state` (a row stored before migration 10).
        var inOldRow = false
        /// Stored whole by this transaction: it alone is its state.
        var storedWhole = false
    }

    init(db: PostgresTransaction) {
        self.db = db
    }

    func prepare(lockingWorkflows ids: [String], eventIds: [UUID]) throws {
        let wanted = Set(ids).subtracting(locked.keys).sorted()
        let events = Array(Set(eventIds).subtracting(lookedUpEvents))
        guard !wanted.isEmpty || !events.isEmpty else { return }
        // Locked in id order (ORDER BY runs below the row locks), as a batch must.
        let lock: PostgresQuery = """
            SELECT id, agent, input, caller, tenant, machine, usage FROM workflows WHERE id = ANY(\(wanted)) ORDER BY id FOR UPDATE
            """
        let lookUp: PostgresQuery = "SELECT event_id FROM workflow_events WHERE event_id = ANY(\(events))"
        let results = try db.pipeline([
            lock.plannedEachRun(), lookUp.plannedEachRun(), CheckpointRows.newestQuery(of: wanted).plannedEachRun(),
        ])
        for row in results[0].all {
            let workflow = try Self.stored(row)
            locked[workflow.id] = workflow
        }
        lookedUpEvents.formUnion(events)
        for row in results[1].all {
            if let id = UUID(uuidString: try row.string("event_id")) { recordedEvents.insert(id) }
        }
        for id in wanted where newestCheckpoints[id] == nil { newestCheckpoints[id] = .some(nil) }
        for row in results[2].all { try remember(newestCheckpointRow: row) }
    }

    private func remember(newestCheckpointRow row: PostgresRow) throws {
        newestCheckpoints[try row.string("workflow_id")] = NewestCheckpoint(
            step: try row.int("step"), inOldRow: row["whole_row"] == "t")
    }

    private func newestCheckpoint(of workflowId: String) throws -> NewestCheckpoint? {
        if let known = newestCheckpoints[workflowId] { return known }
        let row = try afterPendingWrites(CheckpointRows.newestQuery(of: [workflowId])).first
        newestCheckpoints[workflowId] = .some(nil)
        if let row { try remember(newestCheckpointRow: row) }
        return newestCheckpoints[workflowId] ?? nil
    }

    /// Sends what waits with the transaction's `COMMIT`.
    func writeWithCommit() throws {
        try db.sendWithCommit(pending.queries())
        pending = PendingWrites()
    }

    /// Runs a statement that must see this transaction's writes: they go first, in the
    /// same round trip.
    @discardableResult
    private func afterPendingWrites(_ query: PostgresQuery) throws -> PostgresRows {
        if pending.isEmpty { return try db.query(query) }
        let results = try db.pipeline(pending.queries() + [query])
        pending = PendingWrites()
        return results[results.count - 1]
    }

    /// Sends what waits now, for a read that runs several statements of its own.
    private func writePendingWrites() throws {
        guard !pending.isEmpty else { return }
        try db.pipeline(pending.queries())
        pending = PendingWrites()
    }

    func lockWorkflow(_ id: String) throws -> StoredWorkflow? {
        if let workflow = locked[id] { return workflow }
        guard
            let row = try db.query(
                "SELECT id, agent, input, caller, tenant, machine, usage FROM workflows WHERE id = \(id) FOR UPDATE"
            ).first
        else { return nil }
        let workflow = try Self.stored(row)
        locked[id] = workflow
        return workflow
    }

    private static func stored(_ row: PostgresRow) throws -> StoredWorkflow {
        let id = try row.string("id")
        guard let machine = try JSONColumn.value(WorkflowStateMachine.self, from: row["machine"]) else {
            throw PostgresError.unexpectedResult("workflow \(id) has no state machine")
        }
        return StoredWorkflow(
            id: id, agent: try row.string("agent"), inputText: try row.string("input"), caller: row["caller"],
            tenant: try row.string("tenant"), machine: machine,
            usage: try JSONColumn.value(UsageSummary.self, from: row["usage"]))
    }

    func insertWorkflow(_ workflow: NewWorkflow) throws -> Bool {
        let machine = workflow.machine
        let input = JSONColumn.text(workflow.input)
        let inserted =
            try afterPendingWrites(
                """
                INSERT INTO workflows (
                    id, agent, input, fingerprint, status, attempt, machine, created_at, updated_at, caller, parent_id,
                    child_key, tenant)
                VALUES (
                    \(workflow.id), \(workflow.agent), \(jsonText: input), \(workflow.fingerprint),
                    \(machine.status.rawValue), 0, \(json: machine), \(workflow.now), \(workflow.now), \(workflow.caller),
                    \(workflow.parentId), \(workflow.childKey), \(workflow.tenant))
                ON CONFLICT DO NOTHING
                """
            ).affectedRows == 1
        if inserted {
            // A row this transaction made is as good as locked: nobody else sees it yet.
            locked[workflow.id] = StoredWorkflow(
                id: workflow.id, agent: workflow.agent, inputText: input, caller: workflow.caller,
                tenant: workflow.tenant, machine: machine)
            newestCheckpoints[workflow.id] = .some(nil)
        }
        return inserted
    }

    /// One statement for all of them, sent with what waits.
    func insertWorkflows(_ workflows: [NewWorkflow]) throws -> Set<String> {
        guard !workflows.isEmpty else { return [] }
        let inputs = workflows.map { JSONColumn.text($0.input) }
        let machines = workflows.map(\.machine)
        let rows = try afterPendingWrites(
            """
            INSERT INTO workflows (
                id, agent, input, fingerprint, status, attempt, machine, created_at, updated_at, caller, tenant)
            SELECT n.id, n.agent, n.input::jsonb, n.fingerprint, n.status, 0, n.machine::jsonb, n.now, n.now, n.caller,
                n.tenant
            FROM unnest(\(workflows.map(\.id))::text[], \(workflows.map(\.agent))::text[], \(inputs)::text[],
                \(workflows.map(\.fingerprint))::text[], \(machines.map(\.status.rawValue))::text[],
                \(machines.map { JSONColumn.text($0) })::text[], \(workflows.map(\.now))::timestamptz[],
                \(PostgresNullableArray(workflows.map(\.caller)))::text[], \(workflows.map(\.tenant))::text[])
                AS n(id, agent, input, fingerprint, status, machine, now, caller, tenant)
            ON CONFLICT DO NOTHING
            RETURNING id
            """)
        let inserted = Set(try rows.all.map { try $0.string("id") })
        for (workflow, input) in zip(workflows, inputs) where inserted.contains(workflow.id) {
            locked[workflow.id] = StoredWorkflow(
                id: workflow.id, agent: workflow.agent, inputText: input, caller: workflow.caller,
                tenant: workflow.tenant, machine: workflow.machine)
            newestCheckpoints[workflow.id] = .some(nil)
        }
        return inserted
    }

    func fingerprint(of id: String) throws -> String? {
        try afterPendingWrites("SELECT fingerprint FROM workflows WHERE id = \(id)").first?.string("fingerprint")
    }

    func child(of parent: String, key: String) throws -> (id: String, fingerprint: String)? {
        guard
            let row = try afterPendingWrites(
                "SELECT id, fingerprint FROM workflows WHERE parent_id = \(parent) AND child_key = \(key)"
            ).first
        else { return nil }
        return (try row.string("id"), try row.string("fingerprint"))
    }

    func saveWorkflow(_ update: WorkflowUpdate) throws {
        pending.save(update)
        locked[update.id]?.machine = update.machine
        if let usage = update.usage { locked[update.id]?.usage = usage }
    }

    func appendHistory(_ entry: HistoryRecord) throws -> Bool {
        if let eventId = entry.eventId {
            if recordedEvents.contains(eventId) { return false }
            if !lookedUpEvents.contains(eventId) {
                let found = try afterPendingWrites(
                    "SELECT 1 AS found FROM workflow_events WHERE event_id = \(eventId)")
                if !found.isEmpty { return false }
            }
            recordedEvents.insert(eventId)
        }
        pending.append(entry)
        return true
    }

    func enqueue(_ message: OutboxMessage) throws {
        pending.enqueue(message)
    }

    func setTimer(_ timer: WorkflowTimer, of workflowId: String, at: Date, attempt: Int) throws {
        pending.change(timer, of: workflowId, to: .set(at: at, attempt: attempt))
    }

    func deleteTimer(_ timer: WorkflowTimer, of workflowId: String) throws {
        pending.change(timer, of: workflowId, to: .delete)
    }

    /// The base of a delta is checked here, against the newest stored step that
    /// `prepare` read with the lock (only this transaction changes it meanwhile).
    func storeCheckpoint(_ checkpoint: Checkpoint, of workflowId: String, attempt: Int, retention: Int) throws {
        let newest = try newestCheckpoint(of: workflowId)
        if let newest, checkpoint.step <= newest.step { return }  // stored already, or overtaken
        if checkpoint.isDelta, let base = checkpoint.baseStep {
            guard let newest, newest.step == base else {
                throw CheckpointRefused(step: checkpoint.step, workflowId: workflowId, base: base, newest: newest?.step)
            }
            if newest.inOldRow {
                for query in CheckpointRows.movingWholeState(of: workflowId, step: base) { pending.append(query) }
            }
        }
        pending.store(CheckpointRows.Write(checkpoint, of: workflowId, attempt: attempt), retention: retention)
        newestCheckpoints[workflowId] = NewestCheckpoint(step: checkpoint.step, storedWhole: !checkpoint.isDelta)
    }

    func loadCheckpoint(of workflowId: String, step: Int) throws -> Checkpoint? {
        try writePendingWrites()
        return try CheckpointRows.load(of: workflowId, step: step, on: db)
    }

    func compactCheckpoints(of workflowId: String) throws {
        if let newest = newestCheckpoints[workflowId] ?? nil, newest.storedWhole {
            pending.keepOnly(checkpoint: newest.step, of: workflowId)
            return
        }
        try writePendingWrites()
        for query in try CheckpointRows.compaction(of: workflowId, on: db) { pending.append(query) }
    }

    func recordProgress(_ progress: ActivityProgress, of workflowId: String) throws {
        pending.record(progress, of: workflowId)
    }

    func unfinishedChildren(of parent: String) throws -> [String] {
        try afterPendingWrites(
            "SELECT id FROM workflows WHERE parent_id = \(parent) AND finished_at IS NULL ORDER BY id"
        )
        .all.map { try $0.string("id") }
    }

    func outcome(of id: String) throws -> ChildWorkflowOutcome? {
        guard
            let row = try afterPendingWrites(
                "SELECT agent, status, result, error, usage FROM workflows WHERE id = \(id)"
            ).first,
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
        let due = try afterPendingWrites(
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

    /// `dueTimers` read the timer with its workflow locked, and only this transaction
    /// changes a locked workflow's timers: a change it made since decides.
    func takeTimer(_ due: DueTimer, now: Date) throws -> Bool {
        switch pending.timerChange(due.timer, of: due.workflowId) {
        case .delete: return false
        case .set(let at, let attempt) where attempt != due.attempt || at > now: return false
        case .set, nil:
            pending.change(due.timer, of: due.workflowId, to: .delete)
            return true
        }
    }

    func liveAgents(now: Date) throws -> Set<String>? {
        try WorkerRegistry.liveAgents(in: afterPendingWrites(WorkerRegistry.liveAgentsQuery(now: now)))
    }

    func view(of id: String) throws -> WorkflowView? {
        try afterPendingWrites(WorkflowReads.viewQuery(of: id)).first.map(WorkflowReads.view(from:))
    }
}
