import BatonContracts
import BatonPostgres
import Foundation

/// What the API shows of workflows, read from PostgreSQL.
enum WorkflowReads {
    static func view(of id: String, on db: PostgresTransaction) throws -> WorkflowView? {
        try db.query(viewQuery(of: id)).first.map(view(from:))
    }

    /// The view, and the worker holding the running attempt (nil unless one is running).
    static func viewAndLeaseHolder(
        of id: String, on db: PostgresTransaction
    ) throws -> (view: WorkflowView, leaseHolder: String?)? {
        let query: PostgresQuery = """
            SELECT \(unescaped: viewColumns), machine #>> '{state,running,lease}' AS lease_holder
            FROM workflows WHERE id = \(id)
            """
        return try db.query(query).first.map { row in (try view(from: row), row["lease_holder"]) }
    }

    static func viewQuery(of id: String) -> PostgresQuery {
        "SELECT \(unescaped: viewColumns) FROM workflows WHERE id = \(id)"
    }

    /// The tenant's newest workflows first, optionally only those in `status` or
    /// delegated by `parent`.
    static func list(
        tenant: String, status: WorkflowStatus?, parent: String?, limit: Int, on db: PostgresTransaction
    ) throws -> [WorkflowView] {
        // One statement per combination of filters, so that the planner uses the matching index.
        let rows: PostgresRows
        switch (status, parent) {
        case (nil, nil):
            rows = try db.query(
                """
                SELECT \(unescaped: viewColumns) FROM workflows WHERE tenant = \(tenant)
                ORDER BY created_at DESC, id LIMIT \(limit)
                """)
        case (let status?, nil):
            rows = try db.query(
                """
                SELECT \(unescaped: viewColumns) FROM workflows WHERE tenant = \(tenant) AND status = \(status.rawValue)
                ORDER BY created_at DESC, id LIMIT \(limit)
                """)
        case (nil, let parent?):
            rows = try db.query(
                """
                SELECT \(unescaped: viewColumns) FROM workflows WHERE parent_id = \(parent) AND tenant = \(tenant)
                ORDER BY created_at DESC, id LIMIT \(limit)
                """)
        case (let status?, let parent?):
            rows = try db.query(
                """
                SELECT \(unescaped: viewColumns) FROM workflows
                WHERE parent_id = \(parent) AND tenant = \(tenant) AND status = \(status.rawValue)
                ORDER BY created_at DESC, id LIMIT \(limit)
                """)
        }
        return try rows.all.map(view(from:))
    }

    /// The tenant a workflow belongs to; nil when there is no such workflow.
    static func tenant(of id: String, on db: PostgresTransaction) throws -> String? {
        try db.query("SELECT tenant FROM workflows WHERE id = \(id)").first?.string("tenant")
    }

    /// What a delegation token of `id` is checked against: the workflow's tenant, caller,
    /// status and current attempt's lease token.
    static func delegator(
        of id: String, on db: PostgresTransaction
    ) throws -> (tenant: String, caller: String?, status: WorkflowStatus?, leaseToken: String?)? {
        guard
            let row = try db.query(
                "SELECT tenant, caller, status, machine->>'leaseToken' AS lease FROM workflows WHERE id = \(id)"
            ).first
        else { return nil }
        return (
            try row.string("tenant"), row["caller"], row["status"].flatMap(WorkflowStatus.init(rawValue:)), row["lease"]
        )
    }

    /// A workflow's history in order, after `sequence`; nil when there is no such workflow.
    static func history(
        of id: String, after sequence: Int, limit: Int, on db: PostgresTransaction
    ) throws -> [WorkflowHistoryEntry]? {
        guard try db.query("SELECT 1 AS one FROM workflows WHERE id = \(id)").first != nil else { return nil }
        return try db.query(
            """
            SELECT seq, type, attempt, outcome, payload, extract(epoch FROM recorded_at) AS recorded
            FROM workflow_events WHERE workflow_id = \(id) AND seq > \(sequence) ORDER BY seq LIMIT \(limit)
            """
        ).all.map { row in
            WorkflowHistoryEntry(
                sequence: try row.int("seq"), type: try row.string("type"), attempt: try row.int("attempt"),
                outcome: try row.string("outcome"), payload: try JSONColumn.value(JSONValue.self, from: row["payload"]),
                recordedAt: Date(timeIntervalSince1970: Double(try row.string("recorded")) ?? 0))
        }
    }

    private static let viewColumns = """
        id, agent, status, attempt, input, progress, result, error, interrupt, checkpoint_step, caller, tenant, parent_id,
        usage, machine->>'pauseRequested' AS pausing,
        extract(epoch FROM created_at) AS created, extract(epoch FROM updated_at) AS updated
        """

    static func view(from row: PostgresRow) throws -> WorkflowView {
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
            caller: row["caller"], tenant: row["tenant"], parentId: row["parent_id"],
            usage: try JSONColumn.value(UsageSummary.self, from: row["usage"]),
            createdAt: Date(timeIntervalSince1970: Double(try row.string("created")) ?? 0),
            updatedAt: Date(timeIntervalSince1970: Double(try row.string("updated")) ?? 0),
            pausing: row["pausing"] == "true" ? true : nil)
    }
}

extension WorkflowReads {
    /// The workflows among `ids`.
    static func views(of ids: [String], on db: PostgresTransaction) throws -> [WorkflowView] {
        try db.query("SELECT \(unescaped: viewColumns) FROM workflows WHERE id = ANY(\(ids)) ORDER BY id").all.map(
            view(from:))
    }

    /// The history entries after `position` or among `holes` (`HistoryCursor`), of
    /// every tenant: their sequence, workflow and tenant, oldest first.
    static func historyTail(
        after position: Int, holes: [Int], limit: Int, on db: PostgresTransaction
    ) throws -> [(sequence: Int, workflowId: String, tenant: String)] {
        try db.query(
            """
            SELECT e.seq, e.workflow_id, w.tenant FROM workflow_events e JOIN workflows w ON w.id = e.workflow_id
            WHERE e.seq > \(position) OR e.seq = ANY(\(holes)) ORDER BY e.seq LIMIT \(limit)
            """
        ).all.map { (try $0.int("seq"), try $0.string("workflow_id"), try $0.string("tenant")) }
    }

    /// The newest history sequence.
    static func historyPosition(on db: PostgresTransaction) throws -> Int {
        try db.query("SELECT coalesce(max(seq), 0) AS seq FROM workflow_events").first?.int("seq") ?? 0
    }
}

extension WorkflowReads {
    /// The steps of the checkpoints workflow `id` keeps, oldest first.
    static func checkpointSteps(of id: String, on db: PostgresTransaction) throws -> [Int] {
        try db.query("SELECT step FROM checkpoints WHERE workflow_id = \(id) ORDER BY step").all.map {
            try $0.int("step")
        }
    }
}
