import BatonAMQP
import BatonContracts
import BatonPostgres
import BatonTracing
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Applies worker events to workflows, many per transaction when they arrive in bursts.
///
/// Deliveries are acknowledged only after the transaction that applied them commits,
/// so a crash redelivers them; each event's id makes re-applying it a no-op.
/// Events that cannot be read or applied go to `<events queue>.dead` with the reason:
/// - unreadable ones, and events for a workflow that does not exist, at once;
/// - an event that fails with a database error that is not transient, at once;
/// - an event whose application stopped the scheduler (a bug: a trap) `maximumTries`
///   times: redelivered events are applied one at a time, each try counted in
///   `event_tries` before it runs, so a poisoned event is set aside instead of
///   crash-looping the scheduler, and no innocent event of its batch is blamed.
/// While PostgreSQL is unreachable nothing is acknowledged or dead-lettered: the
/// consumer waits with back-off, for as long as the outage lasts.
/// The connections that deliver the events are `EventQueueConsumer`s, one per events
/// queue this replica holds (Services/EventPartitionService.swift); whatever was
/// delivered and not acknowledged comes back from the broker and is applied
/// idempotently. Dead letters of every partition go to `<events queue>.dead`.
struct EventConsumer: Sendable {
    let pool: PostgresPool
    let publisher: ReconnectingPublisher
    /// The base events queue: dead letters go to `<queue>.dead`.
    let queue: String
    let batchSize: Int
    let engine: WorkflowEngine
    let database: DependencyHealth
    let broker: DependencyHealth
    let logger: Logger
    let activity: ConsumerActivity
    static let maximumTries = 3
    /// The batches of every events queue this replica holds, applied together when
    /// they arrive together.
    private let applier: GroupCommit<TracedInput, WorkflowEngine.Outcome>
    /// The uneven agents last warned of, so that each change is said once.
    private let unevenAgents = LastWarning()
    private let applied = Counter(label: "baton_events_applied_total")
    private let deadLettered = Counter(label: "baton_events_dead_lettered_total")

    init(
        pool: PostgresPool, publisher: ReconnectingPublisher, queue: String, batchSize: Int, engine: WorkflowEngine,
        database: DependencyHealth, broker: DependencyHealth, logger: Logger,
        activity: ConsumerActivity = ConsumerActivity()
    ) {
        self.activity = activity
        self.pool = pool
        self.publisher = publisher
        self.queue = queue
        self.batchSize = batchSize
        self.engine = engine
        let applyTime = Metrics.Timer(label: "baton_event_batch_apply_seconds")
        applier = GroupCommit(maximumInputs: 4 * batchSize, isTransient: engine.repository.isTransient) { inputs in
            try await applyTime.measure { try await engine.apply(inputs.map(\.input), traces: inputs.map(\.trace)) }
        }
        self.database = database
        self.broker = broker
        self.logger = logger
    }

    private typealias Readable = (event: WorkerEvent, delivery: AMQPDelivery)

    /// Applies a batch in delivery order: runs of fresh events together, each redelivered
    /// event alone; acknowledges each part as soon as it is applied, so that an
    /// acknowledgement never covers an event not yet applied.
    func process(_ deliveries: [AMQPDelivery], consumer: AMQPConnection) async throws {
        var fresh: [Readable] = []
        var statuses: [WorkerStatus] = []
        func flush() async throws {
            if !statuses.isEmpty {
                let (pool, batch) = (pool, statuses)
                let uneven = try await waitingOutOutages {
                    try await pool.transaction { db in
                        try WorkerRegistry.record(batch, now: Date(), on: db)
                        return try WorkerRegistry.unevenAgents(now: Date(), on: db)
                    }
                }
                if unevenAgents.changed(to: uneven), let uneven {
                    logger.warning(
                        """
                        the live workers on queue \(engine.settings.commandQueue) do not all serve the same \
                        agents: \(uneven) \
                        serve them; a command that reaches a worker without its agent fails its workflow \
                        (unknown_agent). Give every worker of a queue the same agents.
                        """)
                }
                statuses.removeAll()
            }
            guard !fresh.isEmpty else { return }
            do {
                let outcomes = try await applyWaitingOutOutages(fresh)
                try await deadLetterUnknown(fresh, outcomes)
            } catch let error where Self.isBadEvent(error) {
                // One bad event must not hold back the batch: apply one by one to find it.
                logger.warning(
                    "batch of \(fresh.count) events failed; applying one by one", metadata: ["error": "\(error)"])
                for readable in fresh { try await applyAlone(readable, counted: false) }
            }
            fresh.removeAll()
        }
        for delivery in deliveries {
            let message: EventsQueueMessage
            do {
                message = try EventsQueueMessage.decode(delivery.body)
            } catch {
                try await deadLetter(delivery, reason: "\(error)")
                continue
            }
            switch message {
            case .workerStatus(let status):
                statuses.append(status)
            case .event(let event) where delivery.redelivered:
                try await flush()
                if let previous = deliveries.last(where: { $0.deliveryTag < delivery.deliveryTag }) {
                    try await consumer.ack(previous.deliveryTag, multiple: true)
                }
                try await applyAlone((event, delivery), counted: true)
            case .event(let event):
                fresh.append((event, delivery))
            }
        }
        try await flush()
        if let last = deliveries.last { try await consumer.ack(last.deliveryTag, multiple: true) }
    }

    /// Applies one event in its own transaction, dead-lettering it if it cannot be
    /// applied. `counted`: the event came back after a delivery that was never
    /// acknowledged (perhaps because applying it stopped the scheduler): count the try
    /// first, and give up after `maximumTries`.
    private func applyAlone(_ readable: Readable, counted: Bool) async throws {
        let (event, delivery) = readable
        if counted {
            let tries = try await waitingOutOutages { try await recordTry(of: event.eventId) }
            if tries > Self.maximumTries {
                try await deadLetter(
                    delivery,
                    reason:
                        "applying this event was tried \(Self.maximumTries) times and never finished (the scheduler stopped each time); set aside so that the other events go on"
                )
                return
            }
        }
        do {
            let outcomes = try await applyWaitingOutOutages([readable])
            try await deadLetterUnknown([readable], outcomes)
        } catch let error where Self.isBadEvent(error) {
            try await deadLetter(delivery, reason: "cannot apply event: \(error)")
        }
        if counted { _ = try? await pool.transaction { db in try Self.forgetTries(of: event.eventId, on: db) } }
    }

    /// An error that applying the same events again would meet again: a statement
    /// PostgreSQL refuses (a value out of a column's range), or a checkpoint delta whose
    /// base is gone.
    private static func isBadEvent(_ error: any Error) -> Bool {
        switch error {
        case let error as PostgresError: !error.isTransient
        case is CheckpointRefused: true
        default: false
        }
    }

    private func deadLetterUnknown(_ readables: [Readable], _ outcomes: [UUID: WorkflowEngine.Outcome]) async throws {
        for readable in readables where outcomes[readable.event.eventId] == .unknownWorkflow {
            try await deadLetter(
                readable.delivery, reason: "no workflow with id '\(readable.event.workflowId)'; nothing to apply it to")
        }
    }

    /// Counts one more try of applying `eventId`; returns the count.
    private func recordTry(of eventId: UUID) async throws -> Int {
        try await pool.transaction { db in
            try db.query(
                """
                INSERT INTO event_tries (event_id, tries) VALUES (\(eventId), 1)
                ON CONFLICT (event_id) DO UPDATE SET tries = event_tries.tries + 1 RETURNING tries
                """
            ).first?.int("tries") ?? 1
        }
    }

    private static func forgetTries(of eventId: UUID, on db: PostgresTransaction) throws {
        try db.query("DELETE FROM event_tries WHERE event_id = \(eventId)")
    }

    /// Applies `events`; while PostgreSQL is unreachable (or a deadlock repeats) waits
    /// and tries again, however long it takes. Returns each event's outcome by id.
    private func applyWaitingOutOutages(_ readables: [Readable]) async throws -> [UUID: WorkflowEngine.Outcome] {
        let outcomes = try await waitingOutOutages { try await applyAll(readables) }
        activity.applied(readables.count)
        return outcomes
    }

    /// Runs `body` until it does not fail with a transient database error. Stops (and
    /// throws) only when the scheduler shuts down: nothing is then acknowledged.
    private func waitingOutOutages<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        var backoff = Backoff()
        while true {
            do {
                let value = try await body()
                database.succeeded(logger: logger)
                return value
            } catch let error as PostgresError where error.isTransient {
                if Task.isShuttingDownGracefully { throw error }
                if case .statementFailed = error {
                    logger.notice("transient database error; retrying", metadata: ["error": "\(error)"])
                } else {
                    database.failed(error, logger: logger)
                }
                try await Task.sleep(for: backoff.nextDelay())
            }
        }
    }

    private func applyAll(_ readables: [Readable]) async throws -> [UUID: WorkflowEngine.Outcome] {
        let outcomes = try await applier.run(
            readables.map { TracedInput(input: .worker($0.event), trace: TraceHeaders.filtered($0.delivery.headers)) })
        applied.increment(by: readables.count)
        return Dictionary(zip(readables.map(\.event.eventId), outcomes), uniquingKeysWith: { first, _ in first })
    }

    /// An event and the trace its message carried, which the commands it causes continue
    /// (a parent resumed by its child's end, an attempt handed back and dispatched again).
    struct TracedInput: Sendable {
        var input: WorkflowEngine.Input
        var trace: [String: String]
    }

    private func deadLetter(_ delivery: AMQPDelivery, reason: String) async throws {
        logger.error("dead-lettering an event", metadata: ["reason": "\(reason)"])
        deadLettered.increment()
        try await publisher.publish([DeadLetter.message(for: delivery, from: queue, reason: reason)])
    }
}
