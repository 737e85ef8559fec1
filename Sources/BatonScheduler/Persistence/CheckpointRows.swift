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
    /// A checkpoint as its rows: the `checkpoints` row without its state, and the state's
    /// changes (one `replace` for a whole state).
    struct Write {
        var workflowId: String
        var step: Int
        var attempt: Int
        var nextNodes: String
        var body: String
        var changes: [StateDelta.Change]

        init(_ checkpoint: Checkpoint, of workflowId: String, attempt: Int) {
            self.workflowId = workflowId
            step = checkpoint.step
            self.attempt = attempt
            nextNodes = JSONColumn.text(checkpoint.nextNodes)
            var body = checkpoint
            body.state = .null  // in checkpoint_changes
            body.stateDelta = nil
            body.baseStep = nil
            self.body = JSONColumn.text(body)
            changes = checkpoint.stateDelta?.changes ?? [.replace(checkpoint.state)]
        }
    }

    /// The newest stored checkpoint of each of `ids`, and whether its state is still in
    /// `checkpoints.state` (stored whole before migration 10).
    static func newestQuery(of ids: [String]) -> PostgresQuery {
        """
        SELECT DISTINCT ON (workflow_id) workflow_id, step, state IS NOT NULL AS whole_row FROM checkpoints
        WHERE workflow_id = ANY(\(ids)) ORDER BY workflow_id, step DESC
        """
    }

    /// Stores `writes` (steps above each workflow's newest, bases checked by the caller):
    /// two statements for any number of checkpoints.
    static func inserts(_ writes: [Write]) -> [PostgresQuery] {
        guard !writes.isEmpty else { return [] }
        var change: (ids: [String], steps: [Int], ords: [Int], ops: [String], fields: [String?], values: [String?]) =
            ([], [], [], [], [], [])
        for write in writes {
            for (ord, item) in write.changes.enumerated() {
                let (op, field, value): (String, String?, JSONValue?) =
                    switch item {
                    case .replace(let state): ("replace", nil, state)
                    case .set(let field, let value): ("set", field, value)
                    case .remove(let field): ("remove", field, nil)
                    case .append(let field, let items): ("append", field, .array(items))
                    }
                change.ids.append(write.workflowId)
                change.steps.append(write.step)
                change.ords.append(ord)
                change.ops.append(op)
                change.fields.append(field)
                change.values.append(value.map { JSONColumn.text($0) })
            }
        }
        return [
            """
            INSERT INTO checkpoints (workflow_id, step, attempt, next_nodes, state, body)
            SELECT c.workflow_id, c.step, c.attempt, c.next_nodes::jsonb, NULL, c.body::jsonb
            FROM unnest(\(writes.map(\.workflowId))::text[], \(writes.map(\.step))::int8[], \(writes.map(\.attempt))::int8[],
                \(writes.map(\.nextNodes))::text[], \(writes.map(\.body))::text[])
                AS c(workflow_id, step, attempt, next_nodes, body)
            ON CONFLICT DO NOTHING
            """,
            """
            INSERT INTO checkpoint_changes (workflow_id, step, ord, op, field, value)
            SELECT c.workflow_id, c.step, c.ord, c.op, c.field, c.value::jsonb
            FROM unnest(\(change.ids)::text[], \(change.steps)::int8[], \(change.ords)::int8[], \(change.ops)::text[],
                \(PostgresNullableArray(change.fields))::text[], \(PostgresNullableArray(change.values))::text[])
                AS c(workflow_id, step, ord, op, field, value)
            ON CONFLICT DO NOTHING
            """,
        ]
    }

    /// A delta's base stored whole before migration 10 moves its state to a change row,
    /// so that the state outlives the base's row when retention deletes it.
    static func movingWholeState(of workflowId: String, step: Int) -> [PostgresQuery] {
        [
            """
            INSERT INTO checkpoint_changes (workflow_id, step, ord, op, field, value)
            SELECT workflow_id, step, 0, 'replace', NULL, state FROM checkpoints
            WHERE workflow_id = \(workflowId) AND step = \(step) AND state IS NOT NULL
            ON CONFLICT DO NOTHING
            """,
            "UPDATE checkpoints SET state = NULL WHERE workflow_id = \(workflowId) AND step = \(step) AND state IS NOT NULL",
        ]
    }

    /// Retention for several workflows at once: each keeps its checkpoints above its
    /// cut, and the changes those still need.
    static func retention(deletingThrough cuts: [(workflowId: String, step: Int)]) -> [PostgresQuery] {
        guard !cuts.isEmpty else { return [] }
        let ids = cuts.map(\.workflowId)
        return [
            """
            DELETE FROM checkpoints c USING unnest(\(ids)::text[], \(cuts.map(\.step))::int8[]) AS r(id, cut)
            WHERE c.workflow_id = r.id AND c.step <= r.cut
            """,
            // Changes made dead by a later set or remove of their field at or before the
            // oldest retained step (at most one per field is left there after each pass)…
            """
            DELETE FROM checkpoint_changes dead
            USING unnest(\(ids)::text[]) AS r(id)
                CROSS JOIN LATERAL (SELECT min(step) AS oldest FROM checkpoints WHERE workflow_id = r.id) kept,
                checkpoint_changes newer
            WHERE newer.workflow_id = r.id AND newer.op IN ('set', 'remove') AND newer.step <= kept.oldest
                AND dead.workflow_id = r.id AND dead.field = newer.field AND dead.step < newer.step
            """,
            // … or by a later whole state. The newest one's step comes first, alone, from the
            // index of whole states (`checkpoint_changes_replaced`): asked for its (step, ord)
            // at once, PostgreSQL walked the primary key back over every append of a growing
            // state, at every checkpoint (W6).
            """
            DELETE FROM checkpoint_changes c
            USING unnest(\(ids)::text[]) AS r(id)
                CROSS JOIN LATERAL (
                    SELECT x.step, x.ord FROM checkpoint_changes x
                    WHERE x.workflow_id = r.id AND x.op = 'replace' AND x.step = (
                        SELECT max(step) FROM checkpoint_changes
                        WHERE workflow_id = r.id AND op = 'replace'
                            AND step <= (SELECT min(step) FROM checkpoints WHERE workflow_id = r.id))
                    ORDER BY x.ord DESC LIMIT 1) AS cut
            WHERE c.workflow_id = r.id AND (c.step, c.ord) < (cut.step, cut.ord)
            """,
        ]
    }

    /// Compaction of workflows whose newest checkpoint is stored whole: everything
    /// older goes, nothing needs reading.
    static func keepingOnly(newest: [(workflowId: String, step: Int)]) -> [PostgresQuery] {
        guard !newest.isEmpty else { return [] }
        let ids = newest.map(\.workflowId)
        let steps = newest.map(\.step)
        return [
            """
            DELETE FROM checkpoints c USING unnest(\(ids)::text[], \(steps)::int8[]) AS k(id, step)
            WHERE c.workflow_id = k.id AND c.step < k.step
            """,
            """
            DELETE FROM checkpoint_changes c USING unnest(\(ids)::text[], \(steps)::int8[]) AS k(id, step)
            WHERE c.workflow_id = k.id AND c.step < k.step
            """,
        ]
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
    /// (the whole state found as in `retention`).
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
    /// one whole row. The statements that leave only the newest checkpoint, whole, when
    /// its state may be a delta (see `keepingOnly(newest:)` otherwise); reads what it needs
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
