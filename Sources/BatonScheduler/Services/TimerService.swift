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
    let engine: WorkflowEngine
    let logger: Logger
    let interval: Duration
    /// Nil fires every due timer (tests that drive timers by hand).
    let eventsGate: EventsBacklogGate?
    /// Told of every pass's success or failure (for `/readyz` and outage logging).
    let database: DependencyHealth?
    let batchSize = 100
    private let fired = Counter(label: "baton_timers_fired_total")

    init(
        engine: WorkflowEngine, logger: Logger, interval: Duration = .milliseconds(250),
        eventsGate: EventsBacklogGate? = nil, database: DependencyHealth? = nil
    ) {
        self.engine = engine
        self.database = database
        self.eventsGate = eventsGate
        self.logger = logger
        self.interval = interval
    }

    func run() async throws {
        var backoff = Backoff(initial: interval, maximum: .seconds(5))
        while !Task.isShuttingDownGracefully {
            do {
                let asked = ContinuousClock.now
                let silenceCounts = await eventsGate?.isOpen() ?? true
                let count = try await fireDueTimers(includingSilence: silenceCounts, askedAt: asked)
                database?.succeeded(logger: logger)
                backoff.reset()
                if count == batchSize { continue }
                try await Task.sleep(for: interval)
            } catch let error as PostgresError where error.isTransient && database != nil {
                database?.failed(error, logger: logger)
                try await Task.sleep(for: interval)
            } catch {
                // Not an outage (a bug, a refused statement): tried again, but less and less often.
                logger.warning("firing timers failed; will retry", metadata: ["error": "\(error)"])
                try await Task.sleep(for: backoff.nextDelay())
            }
        }
    }

    /// How long the events gate's answer holds: a pass whose first round trip ends later
    /// than this after the gate was asked leaves the silence timers for the next pass.
    static let gateAnswerLifetime: Duration = .seconds(2)

    /// The timers that judge a worker by its silence (see `EventsBacklogGate`).
    static let silenceTimers: [WorkflowTimer] = [.heartbeat, .scheduleToStart]

    /// Fires the timers due now; returns how many fired. Without `includingSilence`,
    /// heartbeat and schedule-to-start timers wait.
    ///
    /// The gate's answer, given at `askedAt`, goes stale during a long wait for the
    /// database: heartbeats that arrived meanwhile still wait in the events queues, and
    /// a decision made before the wait would time out attempts that are fine (seen after
    /// a frozen primary: 32 heartbeat timeouts the moment the database answered again).
    func fireDueTimers(
        includingSilence: Bool = true, askedAt: ContinuousClock.Instant = .now
    ) async throws -> Int {
        let count = try await engine.fireDueTimers(
            holding: includingSilence ? [] : Self.silenceTimers, limit: batchSize,
            heldIfLate: { ContinuousClock.now - askedAt > Self.gateAnswerLifetime ? Self.silenceTimers : [] })
        fired.increment(by: count)
        return count
    }
}
