import BatonContracts
import BatonPostgres
import Foundation

/// Checkpoints in PostgreSQL, their states stored as what changed (docs/architecture.md,
/// "Checkpoints store what changed").
///
/// `checkpoints` keeps a row per retained checkpoint with everything but its state
/// (`body`: journal, pending writes, interrupt, usage); `checkpoint_changes` keeps the
/// states as changes, a row each: `replace` (a whole state), `set` / `remove` of a
/// top-level field, `append` of items to an array field. The state of step S is the
/// newest `replace` at or before S with the changes after it, up to S, applied in
/// (step, ord) order. Rows stored before migration 10 keep their whole state in
/// `checkpoints.state` and load as they are.
///
/// Retention deletes the bodies of checkpoints older than the newest `retention` and the
/// changes no retained checkpoint needs any more: those a later `set` or `remove` of
/// their field, or a later `replace`, at or before the oldest retained step made dead. The appends of a field
/// that keeps growing stay (they are its value), so the rows hold what changed, once.
/// When the workflow ends, `compact` leaves its newest checkpoint only, whole.
enum CheckpointRows {
    /// The statements that store `checkpoint` (whole, or a delta on the newest stored
    /// checkpoint) and apply retention, to run in order in the caller's transaction.
    /// They read nothing back, so they can be sent in one batch. A delta on any other
    /// base makes the first statement fail (SQLSTATE P0001) with the reason; a step
    /// stored already, or older than the newest, stores nothing (as the machine stores
    /// only increasing steps, neither happens).
    static func store(
        _ checkpoint: Checkpoint, of workflowId: String, attempt: Int, retention: Int
    ) -> [PostgresQuery] {
        var statements: [PostgresQuery] = []
        let changes: StateDelta
        if let delta = checkpoint.stateDelta, let base = checkpoint.baseStep {
            statements.append("SELECT baton_checkpoint_delta_base(\(workflowId), \(checkpoint.step), \(base))")
            changes = delta
        } else {
            changes = StateDelta([.replace(checkpoint.state)])
        }
        var body = checkpoint
        body.state = .null  // in checkpoint_changes
        body.stateDelta = nil
        body.baseStep = nil
        statements.append(
            """
            WITH stored AS (
                INSERT INTO checkpoints (workflow_id, step, attempt, next_nodes, state, body)
                SELECT \(workflowId), \(checkpoint.step), \(attempt), \(json: checkpoint.nextNodes), NULL, \(json: body)
                WHERE NOT EXISTS (
                    SELECT 1 FROM checkpoints WHERE workflow_id = \(workflowId) AND step >= \(checkpoint.step))
                ON CONFLICT DO NOTHING
                RETURNING workflow_id, step)
            INSERT INTO checkpoint_changes (workflow_id, step, ord, op, field, value)
            SELECT stored.workflow_id, stored.step, change.ord - 1, change.item ->> 'op', change.item ->> 'field',
                coalesce(change.item -> 'value', change.item -> 'items')
            FROM stored, jsonb_array_elements(\(json: changes)) WITH ORDINALITY AS change (item, ord)
            """)
        guard checkpoint.step > retention else { return statements }
        statements.append(
            "DELETE FROM checkpoints WHERE workflow_id = \(workflowId) AND step <= \(checkpoint.step - retention)")
        // Changes made dead by a later set or remove of their field at or before the
        // oldest retained step (at most one per field is left there after each pass)…
        statements.append(
            """
            DELETE FROM checkpoint_changes dead USING checkpoint_changes newer
            WHERE newer.workflow_id = \(workflowId) AND newer.op IN ('set', 'remove')
                AND newer.step <= (SELECT min(step) FROM checkpoints WHERE workflow_id = \(workflowId))
                AND dead.workflow_id = \(workflowId) AND dead.field = newer.field AND dead.step < newer.step
            """)
        // … or by a later whole state. The newest one's step comes first, alone, from the
        // index of whole states (`checkpoint_changes_replaced`): asked for its (step, ord)
        // at once, PostgreSQL walked the primary key back over every append of a growing
        // state, at every checkpoint (W6).
        statements.append(
            """
            DELETE FROM checkpoint_changes
            WHERE workflow_id = \(workflowId) AND (step, ord) < (
                SELECT step, ord FROM checkpoint_changes
                WHERE workflow_id = \(workflowId) AND op = 'replace' AND step = (
                    SELECT max(step) FROM checkpoint_changes
                    WHERE workflow_id = \(workflowId) AND op = 'replace'
                        AND step <= (SELECT min(step) FROM checkpoints WHERE workflow_id = \(workflowId)))
                ORDER BY ord DESC LIMIT 1)
            """)
        return statements
    }

    /// Checkpoint `step` with its state rebuilt; nil when it is not stored (or no longer).
    static func load(of workflowId: String, step: Int, on db: PostgresTransaction) throws -> Checkpoint? {
        guard
            let row = try db.query(
                "SELECT next_nodes, state, body FROM checkpoints WHERE workflow_id = \(workflowId) AND step = \(step)"
            ).first
        else { return nil }
        var checkpoint =
            try JSONColumn.value(Checkpoint.self, from: row["body"])
            ?? Checkpoint(
                step: step, nextNodes: try JSONColumn.value([String].self, from: row["next_nodes"]) ?? [], state: .null)
        if let whole = try JSONColumn.value(JSONValue.self, from: row["state"]) {
            checkpoint.state = whole  // stored before migration 10
        } else {
            checkpoint.state = try state(of: workflowId, at: step, on: db)
        }
        return checkpoint
    }

    /// The state at `step`: the newest whole state at or before it, then the changes after it
    /// (the whole state found as in `store`'s retention).
    static func state(of workflowId: String, at step: Int, on db: PostgresTransaction) throws -> JSONValue {
        let rows = try db.query(
            """
            SELECT op, field, value FROM checkpoint_changes
            WHERE workflow_id = \(workflowId) AND step <= \(step) AND (step, ord) >= (
                SELECT step, ord FROM checkpoint_changes
                WHERE workflow_id = \(workflowId) AND op = 'replace' AND step = (
                    SELECT max(step) FROM checkpoint_changes
                    WHERE workflow_id = \(workflowId) AND op = 'replace' AND step <= \(step))
                ORDER BY ord DESC LIMIT 1)
            ORDER BY step, ord
            """)
        var changes: [StateDelta.Change] = []
        changes.reserveCapacity(rows.count)
        for row in rows.all {
            let value = try JSONColumn.value(JSONValue.self, from: row["value"]) ?? .null
            let field = row["field"] ?? ""
            switch try row.string("op") {
            case "replace": changes.append(.replace(value))
            case "set": changes.append(.set(field: field, value: value))
            case "remove": changes.append(.remove(field: field))
            case "append": changes.append(.append(field: field, items: value.arrayValue ?? []))
            case let op:
                throw PostgresError.unexpectedResult("checkpoint change of workflow \(workflowId) has op '\(op)'")
            }
        }
        return StateDelta(changes).applied(to: .null)
    }

    /// When the workflow has ended: its newest checkpoint is all it keeps, its state as
    /// one whole row.
    /// The statements that leave only the newest checkpoint, whole; reads what it needs
    /// on `db` (which must see the transaction's checkpoints) and writes nothing itself.
    static func compaction(of workflowId: String, on db: PostgresTransaction) throws -> [PostgresQuery] {
        guard
            let newest = try db.query("SELECT max(step) AS step FROM checkpoints WHERE workflow_id = \(workflowId)")
                .first?["step"].flatMap({ Int($0) }),
            let checkpoint = try load(of: workflowId, step: newest, on: db)
        else { return [] }
        return [
            "DELETE FROM checkpoints WHERE workflow_id = \(workflowId) AND step < \(newest)",
            "DELETE FROM checkpoint_changes WHERE workflow_id = \(workflowId)",
            """
            INSERT INTO checkpoint_changes (workflow_id, step, ord, op, field, value)
            VALUES (\(workflowId), \(newest), 0, 'replace', NULL, \(json: checkpoint.state))
            """,
            "UPDATE checkpoints SET state = NULL WHERE workflow_id = \(workflowId) AND step = \(newest) AND state IS NOT NULL",
        ]
    }
}
