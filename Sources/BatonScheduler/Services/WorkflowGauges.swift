import BatonContracts
import BatonPostgres
import Logging
import Metrics
import ServiceLifecycle

/// `baton_workflows_open{status}`: how many workflows wait in each open status, read
/// from the database every `interval` (the partial index on open workflows keeps it
/// cheap). What operators alert on: a growing `awaiting_input` backlog, workflows stuck
/// `backing_off`.
struct WorkflowGauges: Service {
    let pool: PostgresPool
    let logger: Logger
    let interval: Duration

    static let openStatuses = WorkflowStatus.allCases.filter { !$0.isTerminal }

    func run() async throws {
        let gauges = Dictionary(
            uniqueKeysWithValues: Self.openStatuses.map {
                ($0, Gauge(label: "baton_workflows_open", dimensions: [("status", $0.rawValue)]))
            })
        // A cancelled task's sleep returns at once: the loop must end then too, or it spins.
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let counts = try await pool.withConnection { db in try await db.openWorkflowCounts() }
                for (status, gauge) in gauges { gauge.record(counts[status] ?? 0) }
            } catch {
                logger.warning("counting open workflows failed; will retry", metadata: ["error": "\(error)"])
            }
            // Cancelled at once by a graceful shutdown, which must not wait out the interval.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

extension PostgresConnection {
    /// Open workflows by status.
    func openWorkflowCounts() throws -> [WorkflowStatus: Int] {
        var counts: [WorkflowStatus: Int] = [:]
        for row in try query("SELECT status, count(*) AS n FROM workflows WHERE finished_at IS NULL GROUP BY status")
            .all
        {
            if let status = WorkflowStatus(rawValue: try row.string("status")) { counts[status] = try row.int("n") }
        }
        return counts
    }
}
