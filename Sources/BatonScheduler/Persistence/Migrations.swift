import BatonPostgres

/// The scheduler's schema, as ordered migrations. Each runs once, in a transaction,
/// under an advisory lock so that replicas starting together do not race.
enum Migrations {
    static let all: [(version: Int, statements: [String])] = [
        (
            1,
            [
                """
                CREATE TABLE workflows (
                    id text PRIMARY KEY,
                    agent text NOT NULL,
                    input jsonb NOT NULL,
                    fingerprint text NOT NULL,
                    status text NOT NULL,
                    attempt integer NOT NULL,
                    machine jsonb NOT NULL,
                    checkpoint_step integer,
                    progress jsonb,
                    interrupt jsonb,
                    result jsonb,
                    error jsonb,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    last_heartbeat_at timestamptz,
                    finished_at timestamptz
                )
                """,
                "CREATE INDEX workflows_open ON workflows (status) WHERE finished_at IS NULL",
                """
                CREATE TABLE workflow_events (
                    seq bigserial PRIMARY KEY,
                    workflow_id text NOT NULL REFERENCES workflows (id),
                    event_id uuid UNIQUE,
                    attempt integer NOT NULL,
                    type text NOT NULL,
                    outcome text NOT NULL,
                    payload jsonb,
                    recorded_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX workflow_events_by_workflow ON workflow_events (workflow_id, seq)",
                """
                CREATE TABLE checkpoints (
                    workflow_id text NOT NULL REFERENCES workflows (id),
                    step integer NOT NULL,
                    attempt integer NOT NULL,
                    next_nodes jsonb NOT NULL,
                    state jsonb NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (workflow_id, step)
                )
                """,
                """
                CREATE TABLE outbox (
                    id bigserial PRIMARY KEY,
                    workflow_id text NOT NULL,
                    routing_key text NOT NULL,
                    body text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
            ]
        ),
        (
            2,
            [
                """
                CREATE TABLE timers (
                    workflow_id text NOT NULL REFERENCES workflows (id),
                    kind text NOT NULL,
                    attempt integer NOT NULL,
                    fire_at timestamptz NOT NULL,
                    PRIMARY KEY (workflow_id, kind)
                )
                """,
                "CREATE INDEX timers_due ON timers (fire_at)",
                "ALTER TABLE outbox ADD COLUMN exchange text NOT NULL DEFAULT ''",
            ]
        ),
        (
            3,
            [
                // Everything of a checkpoint but its state (journal, pending writes, interrupt…).
                "ALTER TABLE checkpoints ADD COLUMN body jsonb"
            ]
        ),
        (
            4,
            [
                "ALTER TABLE workflows ADD COLUMN caller text, ADD COLUMN parent_id text, ADD COLUMN usage jsonb",
                "CREATE INDEX workflows_by_parent ON workflows (parent_id) WHERE parent_id IS NOT NULL",
            ]
        ),
        (
            5,
            [
                // The list API, newest first, with and without a status.
                "CREATE INDEX workflows_newest ON workflows (created_at DESC, id)",
                "CREATE INDEX workflows_newest_by_status ON workflows (status, created_at DESC, id)",
            ]
        ),
        (
            6,
            [
                // Tries of applying a redelivered event (EventConsumer: poisoned events).
                "CREATE TABLE event_tries (event_id uuid PRIMARY KEY, tries integer NOT NULL, first_at timestamptz NOT NULL DEFAULT now())",
                // Child workflows: the key their parent gave, unique per parent (ids are made by the scheduler).
                "ALTER TABLE workflows ADD COLUMN child_key text",
                "CREATE UNIQUE INDEX workflows_child_key ON workflows (parent_id, child_key) WHERE child_key IS NOT NULL",
            ]
        ),
        (
            7,
            [
                // What each worker last said about itself (WorkerStatus): the agents live workers serve.
                """
                CREATE TABLE workers (
                    id text PRIMARY KEY, agents jsonb NOT NULL, concurrency integer NOT NULL,
                    stopping boolean NOT NULL, seen_at timestamptz NOT NULL)
                """
            ]
        ),
        (
            8,
            [
                // Event partitions (Services/PartitionLeases.swift): the live replicas and
                // their partition count, who consumes which events queue until when (the
                // database's clock), the count in force, and retired partitions to empty.
                """
                CREATE TABLE scheduler_replicas (
                    id text PRIMARY KEY, events_queue text NOT NULL, partitions integer NOT NULL,
                    applied bigint NOT NULL DEFAULT 0, seen_at timestamptz NOT NULL)
                """,
                """
                CREATE TABLE event_partition_leases (
                    queue text PRIMARY KEY, events_queue text NOT NULL, owner text NOT NULL,
                    expires_at timestamptz NOT NULL)
                """,
                """
                CREATE TABLE event_partitioning (
                    events_queue text PRIMARY KEY, partitions integer NOT NULL,
                    unbind_pending integer[] NOT NULL DEFAULT '{}')
                """,
                "CREATE TABLE event_queues_retiring (queue text PRIMARY KEY, events_queue text NOT NULL)",
            ]
        ),
        (
            9,
            [
                // The state machine tells a child's parent of its end itself: open children learn their parent.
                """
                UPDATE workflows SET machine = jsonb_set(machine, '{parentId}', to_jsonb(parent_id))
                WHERE parent_id IS NOT NULL AND finished_at IS NULL
                """
            ]
        ),
        (
            10,
            [
                // Checkpoint states as what changed (Persistence/CheckpointRows.swift): a row per
                // change, `op` replace (the whole state), set, remove or append (`value` holds
                // the items); `field` is null for replace. Rows written before this keep their
                // whole state in `checkpoints.state`; new ones leave it null.
                """
                CREATE TABLE checkpoint_changes (
                    workflow_id text NOT NULL REFERENCES workflows (id),
                    step integer NOT NULL,
                    ord integer NOT NULL,
                    op text NOT NULL CHECK (op IN ('replace', 'set', 'remove', 'append')),
                    field text,
                    value jsonb,
                    PRIMARY KEY (workflow_id, step, ord)
                )
                """,
                // A rebuild starts from the newest whole state at or before its step.
                "CREATE INDEX checkpoint_changes_replaced ON checkpoint_changes (workflow_id, step) WHERE op = 'replace'",
                // Retention finds the sets and removes at or before the oldest retained step,
                // and the earlier changes of their fields, which they made dead.
                "CREATE INDEX checkpoint_changes_set ON checkpoint_changes (workflow_id, step) WHERE op IN ('set', 'remove')",
                "CREATE INDEX checkpoint_changes_by_field ON checkpoint_changes (workflow_id, field, step)",
                "ALTER TABLE checkpoints ALTER COLUMN state DROP NOT NULL",
                // A delta is stored only on top of the newest stored checkpoint: anything else
                // could not be rebuilt. Raises (SQLSTATE P0001, not retried) with the reason;
                // does nothing when `new_step` is stored already (the store is then a no-op).
                // A base stored whole before this migration moves its state to a change row,
                // so that the state outlives the row when retention deletes it.
                """
                CREATE FUNCTION baton_checkpoint_delta_base(workflow text, new_step bigint, base bigint)
                RETURNS void LANGUAGE plpgsql AS $$
                DECLARE
                    newest integer;
                BEGIN
                    IF EXISTS (SELECT 1 FROM checkpoints WHERE workflow_id = workflow AND step = new_step) THEN
                        RETURN;
                    END IF;
                    SELECT max(step) INTO newest FROM checkpoints WHERE workflow_id = workflow;
                    IF newest IS DISTINCT FROM base THEN
                        RAISE EXCEPTION 'checkpoint % of workflow % is refused: it carries the change from checkpoint %, but the newest stored checkpoint is %, so its state could not be rebuilt',
                            new_step, workflow, base, coalesce(newest::text, 'none');
                    END IF;
                    INSERT INTO checkpoint_changes (workflow_id, step, ord, op, field, value)
                    SELECT workflow_id, step, 0, 'replace', NULL, state FROM checkpoints
                    WHERE workflow_id = workflow AND step = base AND state IS NOT NULL
                    ON CONFLICT DO NOTHING;
                    UPDATE checkpoints SET state = NULL
                    WHERE workflow_id = workflow AND step = base AND state IS NOT NULL;
                END
                $$
                """,
            ]
        ),
        (
            11,
            [
                // Room on each page for a row's next version: an event that changes no indexed
                // column (a checkpoint, a heartbeat) is then a HOT update, which touches none of
                // the six indexes.
                "ALTER TABLE workflows SET (fillfactor = 70)"
            ]
        ),
        (
            12,
            [
                // Every workflow belongs to a tenant; the lists read it first. The newest-first
                // indexes are replaced by their per-tenant versions, so no index is added.
                "ALTER TABLE workflows ADD COLUMN tenant text NOT NULL DEFAULT 'default'",
                "DROP INDEX workflows_newest",
                "DROP INDEX workflows_newest_by_status",
                "CREATE INDEX workflows_newest ON workflows (tenant, created_at DESC, id)",
                "CREATE INDEX workflows_newest_by_status ON workflows (tenant, status, created_at DESC, id)",
                """
                CREATE TABLE api_keys (
                    id text PRIMARY KEY, name text NOT NULL, tenant text NOT NULL, roles text NOT NULL,
                    sha256 text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), revoked_at timestamptz
                )
                """,
                "CREATE INDEX api_keys_by_tenant ON api_keys (tenant, created_at)",
            ]
        ),
        (
            13,
            [
                // What each agent a worker serves is and takes (AgentDescriptor): GET /v1/agents,
                // and the input schema a submission is checked against.
                "ALTER TABLE workers ADD COLUMN descriptors jsonb"
            ]
        ),
        (
            14,
            [
                // Run commands held for fair dispatch (Services/DispatchGate.swift): released
                // to the outbox, tenant by tenant, as the live workers have room.
                """
                CREATE TABLE dispatch_queue (
                    id bigserial PRIMARY KEY, workflow_id text NOT NULL, tenant text NOT NULL, attempt integer NOT NULL,
                    routing_key text NOT NULL, body text NOT NULL, enqueued_at timestamptz NOT NULL DEFAULT now())
                """,
                "CREATE INDEX dispatch_queue_by_tenant ON dispatch_queue (tenant, id)",
            ]
        ),
        (
            15,
            [
                // Retention (Retention/Pruning.swift) finds the oldest finished workflows.
                "CREATE INDEX workflows_finished ON workflows (finished_at) WHERE finished_at IS NOT NULL"
            ]
        ),
        (
            16,
            [
                // The trace a command continues (W3C trace context), sent as its message's headers.
                "ALTER TABLE outbox ADD COLUMN headers jsonb",
                "ALTER TABLE dispatch_queue ADD COLUMN headers jsonb",
            ]
        ),
        (
            17,
            [
                // Files an agent stores by reference (HTTP/WorkflowController+Artifacts.swift);
                // they go with their workflow.
                """
                CREATE TABLE artifacts (
                    workflow_id text NOT NULL REFERENCES workflows (id) ON DELETE CASCADE, name text NOT NULL,
                    content_type text NOT NULL, bytes bigint NOT NULL, sha256 text NOT NULL, body bytea NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (workflow_id, name))
                """
            ]
        ),
    ]

    /// Brings the schema up to date; returns the versions applied now. With
    /// `runtimeRole` (the scheduler's own role, when another one migrates), that role is
    /// granted what the scheduler does with rows and nothing more: it cannot change the
    /// schema. A schema already up to date needs no right to create anything, so a
    /// scheduler whose role may only read and write rows starts on it.
    @discardableResult
    static func run(on pool: PostgresPool, grantingRowsTo runtimeRole: String? = nil) async throws -> [Int] {
        do {
            return try await pool.transaction { db in
                // An arbitrary constant: the lock id of "baton migrations".
                try db.query("SELECT pg_advisory_xact_lock(7261001)")
                let tracked = try db.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
                if try tracked.first?.bool("present") != true {
                    try db.query(
                        "CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
                    )
                }
                let done = Set(try db.query("SELECT version FROM schema_migrations").all.map { try $0.int("version") })
                var applied: [Int] = []
                for migration in all where !done.contains(migration.version) {
                    for statement in migration.statements { try db.query(PostgresQuery(unsafeSQL: statement)) }
                    try db.query("INSERT INTO schema_migrations (version) VALUES (\(migration.version))")
                    applied.append(migration.version)
                }
                if let runtimeRole {
                    let role = identifier(runtimeRole)
                    let schema = identifier(
                        try db.query("SELECT current_schema() AS name").first?.string("name") ?? "public")
                    for grant in [
                        "GRANT USAGE ON SCHEMA \(schema) TO \(role)",
                        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \(schema) TO \(role)",
                        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA \(schema) TO \(role)",
                    ] {
                        try db.query(PostgresQuery(unsafeSQL: grant))
                    }
                }
                return applied
            }
        } catch PostgresError.statementFailed("42501", let message, _) {
            throw MigrationRefused(reason: message)
        }
    }

    /// A quoted SQL identifier: a role or schema name used as it is spelt.
    private static func identifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// The schema needs migrating and the role may not (SQLSTATE 42501).
struct MigrationRefused: Error, CustomStringConvertible {
    var reason: String

    var description: String {
        "the database schema needs migrating, and this role may not change it (\(reason)); run "
            + "'baton-scheduler migrate' with migration_postgres_url (BATON_MIGRATION_POSTGRES_URL) set to "
            + "a role that owns the schema, or set it for this scheduler (docs/operations.md, Database roles)"
    }
}
