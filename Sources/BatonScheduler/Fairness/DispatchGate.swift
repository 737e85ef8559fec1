import BatonPostgres
import Foundation
import Logging
import ServiceLifecycle

/// Releases held run commands (the `dispatch_queue`) to the outbox as the live
/// workers have room, shared between tenants by `FairShare`.
///
/// Room is what the live workers report (`workers.concurrency`) plus a quarter more
/// (at least one per worker) to prefetch, less the workflows already dispatched or
/// running. With no live
/// worker known (none has reported yet) every held command is released: the gate
/// never keeps work from a fleet it cannot see. One replica gates at a time (an
/// advisory lock per transaction); a held command whose workflow has moved on (it
/// was cancelled, or paused) is dropped instead of released.
struct DispatchGate: Service {
    let pool: PostgresPool
    let policy: FairnessConfiguration
    let wake: WakeSignal
    let relayWake: WakeSignal
    let admission: DispatchAdmission
    let logger: Logger
    /// Told of the database's outages, which are logged there once, not at every retry.
    var database: DependencyHealth? = nil
    /// While commands wait, how often room is looked for without a wake.
    var poll: Duration = .milliseconds(50)
    /// The shortest time between two rounds.
    var minimumInterval: Duration = .milliseconds(20)

    func run() async throws {
        var backoff = Backoff()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let began = ContinuousClock.now
                let (released, waiting) = try await releaseOnce()
                database?.succeeded(logger: logger)
                backoff.reset()
                if released > 0 { relayWake.signal() }
                if released == 0 { await wake.wait(upTo: waiting > 0 ? poll : .milliseconds(500)) }
                // Under a burst every held command wakes the gate: it would otherwise read
                // the counts hundreds of times a second. Slots that free meanwhile are
                // taken together at the next round, the workers' prefetch covering the wait.
                let spent = ContinuousClock.now - began
                if spent < minimumInterval { try? await Task.sleep(for: minimumInterval - spent) }
            } catch {
                database.report(error, or: "dispatch gate failed; will retry", logger: logger)
                try? await Task.sleep(for: backoff.nextDelay())
            }
        }
    }

    /// One round: returns the commands released and those still waiting.
    func releaseOnce() async throws -> (released: Int, waiting: Int) {
        try await pool.transaction { db in
            // Another replica gates now; this one looks again at its next round.
            guard try db.query("SELECT pg_try_advisory_xact_lock(7261002) AS locked").first?.bool("locked") == true
            else { return (0, 1) }
            let held = try db.query(
                "SELECT tenant, count(*) AS waiting, min(id) AS oldest FROM dispatch_queue GROUP BY tenant")
            let fleet = try db.query(
                """
                SELECT coalesce(sum(concurrency), 0) AS slots, count(*) AS workers FROM workers
                WHERE NOT stopping AND seen_at > \(Date().addingTimeInterval(-WorkerRegistry.liveness))
                """
            ).first
            let active = Dictionary(
                uniqueKeysWithValues: try db.query(
                    """
                    SELECT tenant, count(*) AS active FROM workflows
                    WHERE finished_at IS NULL AND status IN ('dispatched', 'running', 'cancelling') GROUP BY tenant
                    """
                ).all.map { (try $0.string("tenant"), try $0.int("active")) })
            var tenants: [FairShare.Tenant] = []
            for row in held.all {
                let name = try row.string("tenant")
                let waiting = try row.int("waiting")
                // A held command's workflow counts as dispatched already: it is not running yet.
                tenants.append(
                    FairShare.Tenant(
                        name: name, waiting: waiting, running: max(0, (active[name] ?? 0) - waiting),
                        oldest: try row.int("oldest")))
            }
            let workers = try fleet?.int("workers") ?? 0
            let running =
                tenants.reduce(0) { $0 + $1.running }
                + active.filter { name, _ in !tenants.contains { $0.name == name } }.values.reduce(0, +)
            let waitingNow = tenants.reduce(0) { $0 + $1.waiting }
            // With no worker known, nothing is held back (and nothing admitted directly:
            // the queue is the only way out until a worker reports).
            let slots = try fleet?.int("slots") ?? 0
            // Half as many again as the slots (at least two per worker) wait in the broker, so
            // that a slot that frees between two rounds finds its next command at once.
            let free = workers == 0 ? waitingNow : slots + max(2 * workers, slots / 2) - running
            let release = FairShare.release(tenants, free: free, policy: policy)
            var released = 0
            for (tenant, count) in release.sorted(by: { $0.key < $1.key }) {
                released += try db.query(
                    """
                    WITH picked AS (
                        DELETE FROM dispatch_queue WHERE id IN (
                            SELECT id FROM dispatch_queue WHERE tenant = \(tenant) ORDER BY id LIMIT \(count))
                        RETURNING id, workflow_id, attempt, routing_key, body, headers)
                    INSERT INTO outbox (workflow_id, exchange, routing_key, body, headers)
                    SELECT p.workflow_id, '', p.routing_key, p.body, p.headers
                    FROM picked p JOIN workflows w ON w.id = p.workflow_id
                    WHERE w.status = 'dispatched' AND w.attempt = p.attempt
                    ORDER BY p.id
                    RETURNING 1 AS one
                    """
                ).count
            }
            let waiting = waitingNow - release.values.reduce(0, +)
            var runningNow = active
            for tenant in tenants { runningNow[tenant.name] = tenant.running + (release[tenant.name] ?? 0) }
            admission.update(
                freeSlots: workers == 0 ? 0 : free - release.values.reduce(0, +),
                waiting: Set(tenants.filter { $0.waiting > (release[$0.name] ?? 0) }.map(\.name)), running: runningNow)
            return (released, waiting)
        }
    }
}
