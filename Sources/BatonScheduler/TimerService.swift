import BatonPostgres
import BatonWorkflow
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Fires due timers from the `timers` table: heartbeat and start-to-close timeouts,
/// back-off ends, schedule-to-start, execution and cancel-grace limits.
///
/// Timers live in the database, so a restarted scheduler (or any replica) fires every
/// timer that came due while it was away. The scan locks the workflows of due timers
/// with `SKIP LOCKED`: a workflow busy in another transaction is taken on the next pass,
/// and the scan never waits for a lock, so it cannot deadlock with event batches.
struct TimerService: Service {
    let pool: PostgresPool
    let context: WorkflowStore.Context
    let relayWake: WakeSignal
    let logger: Logger
    let interval: Duration
    /// Nil fires every due timer (tests that drive timers by hand).
    let eventsGate: EventsBacklogGate?
    /// Told of every pass's success or failure (for `/readyz` and outage logging).
    let database: DependencyHealth?
    let batchSize = 100
    private let fired = Counter(label: "baton_timers_fired_total")

    init(
        pool: PostgresPool, context: WorkflowStore.Context, relayWake: WakeSignal, logger: Logger,
        interval: Duration = .milliseconds(250), eventsGate: EventsBacklogGate? = nil,
        database: DependencyHealth? = nil
    ) {
        self.database = database
        self.eventsGate = eventsGate
        self.pool = pool
        self.context = context
        self.relayWake = relayWake
        self.logger = logger
        self.interval = interval
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                let silenceCounts = await eventsGate?.isOpen() ?? true
                let count = try await fireDueTimers(now: Date(), includingSilence: silenceCounts)
                database?.succeeded(logger: logger)
                if count == batchSize { continue }
            } catch let error as PostgresError where error.isTransient && database != nil {
                database?.failed(error, logger: logger)
            } catch {
                logger.warning("firing timers failed; will retry", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: interval)
        }
    }

    /// The timers that judge a worker by its silence (see `EventsBacklogGate`).
    static let silenceTimers: [WorkflowTimer] = [.heartbeat, .scheduleToStart]

    /// Fires the timers due at `now`; returns how many fired. Without
    /// `includingSilence`, heartbeat and schedule-to-start timers wait.
    func fireDueTimers(now: Date, includingSilence: Bool = true) async throws -> Int {
        let context = context
        let batchSize = batchSize
        let held = includingSilence ? [] : Self.silenceTimers.map(\.rawValue)
        let outcomes = try await pool.transaction { db in
            let due = try db.query(
                """
                SELECT t.workflow_id, t.kind, t.attempt FROM timers t JOIN workflows w ON w.id = t.workflow_id
                WHERE t.fire_at <= $1::timestamptz AND NOT (t.kind = ANY($3::text[]))
                ORDER BY t.workflow_id, t.kind LIMIT $2
                FOR UPDATE OF w SKIP LOCKED
                """, [WorkflowStore.timestamp(now), String(batchSize), "{\(held.joined(separator: ","))}"])
            return try due.all.compactMap { row -> WorkflowStore.Outcome? in
                let workflowId = try row.string("workflow_id")
                guard let timer = WorkflowTimer(rawValue: try row.string("kind")) else { return nil }
                try db.query("DELETE FROM timers WHERE workflow_id = $1 AND kind = $2", [workflowId, timer.rawValue])
                return try WorkflowStore.transition(
                    workflowId, .timerFired(timer, attempt: try row.int("attempt")), now: now,
                    random: Double.random(in: 0..<1), context: context, on: db)
            }
        }
        if outcomes.contains(where: \.dispatched) { relayWake.signal() }
        fired.increment(by: outcomes.count)
        return outcomes.count
    }
}
