import BatonPostgres

/// Deletes finished workflows past their keeping time (`RetentionPolicy`) with all
/// that is theirs — history, checkpoints and their changes, timers, unsent commands —
/// a small batch per transaction, oldest first. Rows another replica is pruning are
/// skipped, not waited for; running workflows are never touched, and neither is a
/// finished child whose parent still runs (the parent may still read its outcome).
enum Pruning {
    /// What a pass deleted, or would delete.
    struct Report: Sendable, Equatable {
        var workflows = 0
        var events = 0
        var checkpoints = 0
        /// Some of the workflows' ids, oldest first.
        var sample: [String] = []
    }

    /// Deletes up to `batchSize` workflows per transaction until none is left (or
    /// `maximumBatches` ran). `tenant`: only that tenant's (an administrator's request).
    static func prune(
        _ policy: RetentionPolicy, tenant: String?, maximumBatches: Int = .max, on pool: PostgresPool
    ) async throws -> Report {
        var report = Report()
        for rule in policy.rules {
            var batches = 0
            while batches < maximumBatches {
                batches += 1
                let deleted = try await pool.transaction { db in
                    try deleteBatch(rule, tenant: tenant, limit: policy.batchSize, on: db)
                }
                report.workflows += deleted.workflows
                report.events += deleted.events
                report.checkpoints += deleted.checkpoints
                report.sample += deleted.sample.prefix(max(0, 20 - report.sample.count))
                if deleted.workflows < policy.batchSize { break }
            }
        }
        return report
    }

    /// What `prune` would delete now, deleting nothing.
    static func preview(_ policy: RetentionPolicy, tenant: String?, on pool: PostgresPool) async throws -> Report {
        try await pool.autocommit { db in
            var report = Report()
            for rule in policy.rules {
                let counted = try db.query(
                    """
                    WITH doomed AS (\(candidates(rule, tenant: tenant, limit: nil, locking: false)))
                    SELECT (SELECT count(*) FROM doomed) AS workflows,
                        (SELECT count(*) FROM workflow_events WHERE workflow_id IN (SELECT id FROM doomed)) AS events,
                        (SELECT count(*) FROM checkpoints WHERE workflow_id IN (SELECT id FROM doomed)) AS checkpoints
                    """
                ).first
                report.workflows += try counted?.int("workflows") ?? 0
                report.events += try counted?.int("events") ?? 0
                report.checkpoints += try counted?.int("checkpoints") ?? 0
                if report.sample.count < 20 {
                    let ids = try db.query(
                        candidates(rule, tenant: tenant, limit: 20 - report.sample.count, locking: false))
                    report.sample += try ids.all.map { try $0.string("id") }
                }
            }
            return report
        }
    }

    private static func deleteBatch(
        _ rule: RetentionPolicy.Rule, tenant: String?, limit: Int, on db: PostgresTransaction
    ) throws -> Report {
        let ids = try db.query(candidates(rule, tenant: tenant, limit: limit, locking: true)).all.map {
            try $0.string("id")
        }
        guard !ids.isEmpty else { return Report() }
        var report = Report(workflows: ids.count, sample: ids)
        try db.query("DELETE FROM checkpoint_changes WHERE workflow_id = ANY(\(ids))")
        report.checkpoints = try db.query("DELETE FROM checkpoints WHERE workflow_id = ANY(\(ids))").affectedRows
        report.events = try db.query("DELETE FROM workflow_events WHERE workflow_id = ANY(\(ids))").affectedRows
        try db.query("DELETE FROM timers WHERE workflow_id = ANY(\(ids))")
        try db.query("DELETE FROM outbox WHERE workflow_id = ANY(\(ids))")
        try db.query("DELETE FROM dispatch_queue WHERE workflow_id = ANY(\(ids))")
        try db.query("DELETE FROM workflows WHERE id = ANY(\(ids))")
        return report
    }

    /// The workflows `rule` says are due, oldest first. One statement for every scope
    /// (the unused filters are NULL or empty), so that it is planned once.
    static func candidates(
        _ rule: RetentionPolicy.Rule, tenant: String?, limit: Int?, locking: Bool
    ) -> PostgresQuery {
        var agent: String?
        var ruleTenant: String?
        var exceptTenants: [String] = []
        var exceptAgents: [String] = []
        switch rule.scope {
        case .agent(let name): agent = name
        case .tenant(let name, let agents): (ruleTenant, exceptAgents) = (name, agents)
        case .rest(let tenants, let agents): (exceptTenants, exceptAgents) = (tenants, agents)
        }
        return """
            SELECT w.id FROM workflows w
            WHERE w.finished_at IS NOT NULL AND w.finished_at < now() - make_interval(secs => \(rule.seconds))
              AND (\(agent) IS NULL OR w.agent = \(agent))
              AND (\(ruleTenant) IS NULL OR w.tenant = \(ruleTenant))
              AND (\(tenant) IS NULL OR w.tenant = \(tenant))
              AND w.tenant <> ALL(\(exceptTenants)) AND w.agent <> ALL(\(exceptAgents))
              AND NOT EXISTS (SELECT 1 FROM workflows p WHERE p.id = w.parent_id AND p.finished_at IS NULL)
            ORDER BY w.finished_at LIMIT \(limit ?? Int.max)\(unescaped: locking ? " FOR UPDATE OF w SKIP LOCKED" : "")
            """
    }
}
