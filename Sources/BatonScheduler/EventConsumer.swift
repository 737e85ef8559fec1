import BatonAMQP
import BatonContracts
import BatonPostgres
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Applies worker events to workflows, many per transaction when they arrive in bursts.
///
/// Deliveries are acknowledged only after the transaction that applied them commits,
/// so a crash redelivers them; each event's id makes re-applying it a no-op.
/// Events that cannot be read or applied go to `<events queue>.dead` with the reason.
/// With several replicas only one consumes at a time (`Topology.eventsQueueArguments`).
/// A lost broker connection is reopened with back-off; what was delivered on it and
/// not yet acknowledged comes back from the broker and is applied idempotently.
struct EventConsumer: Service {
    let pool: PostgresPool
    let endpoint: AMQPEndpoint
    let publisher: ReconnectingPublisher
    let queue: String
    let batchSize: Int
    let context: WorkflowStore.Context
    let relayWake: WakeSignal
    let logger: Logger
    private let applied = Counter(label: "baton_events_applied_total")
    private let deadLettered = Counter(label: "baton_events_dead_lettered_total")

    init(
        pool: PostgresPool, endpoint: AMQPEndpoint, publisher: ReconnectingPublisher, queue: String, batchSize: Int,
        context: WorkflowStore.Context, relayWake: WakeSignal, logger: Logger
    ) {
        self.pool = pool
        self.endpoint = endpoint
        self.publisher = publisher
        self.queue = queue
        self.batchSize = batchSize
        self.context = context
        self.relayWake = relayWake
        self.logger = logger
    }

    func run() async throws {
        var failures = 0
        while !Task.isShuttingDownGracefully {
            let consumer: AMQPConnection
            do {
                consumer = try await AMQPConnection.connect(to: endpoint, name: "baton-scheduler events")
                try await consumer.setPrefetch(UInt16(min(batchSize * 2, Int(UInt16.max))))
                try await consumer.consume(queue)
                failures = 0
            } catch {
                failures += 1
                let delay = Duration.milliseconds(min(5_000, 100 << min(failures, 6)))
                logger.warning(
                    "cannot consume events; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                try await Task.sleep(for: delay)
                continue
            }
            do {
                try await consume(consumer)
            } catch let error as AMQPError {
                logger.warning("event connection lost; reconnecting", metadata: ["error": "\(error)"])
            }
            await consumer.close()
        }
    }

    private func consume(_ consumer: AMQPConnection) async throws {
        while !Task.isShuttingDownGracefully {
            guard let first = try await consumer.nextDelivery(timeout: .milliseconds(200)) else { continue }
            var batch = [first]
            while batch.count < batchSize, let next = try await consumer.nextDelivery(timeout: .zero) {
                batch.append(next)
            }
            try await process(batch, consumer: consumer)
        }
    }

    private func process(_ deliveries: [AMQPDelivery], consumer: AMQPConnection) async throws {
        var readable: [(event: WorkerEvent, delivery: AMQPDelivery)] = []
        for delivery in deliveries {
            do {
                readable.append((try WorkerEvent.decode(delivery.body), delivery))
            } catch {
                try await deadLetter(delivery, reason: "\(error)")
            }
        }
        do {
            let outcomes = try await applyRetryingTransientErrors(readable.map(\.event))
            if outcomes.contains(where: \.dispatched) { relayWake.signal() }
        } catch {
            // One bad event must not hold back the batch: apply one by one to find it.
            logger.warning(
                "batch of \(readable.count) events failed; applying one by one", metadata: ["error": "\(error)"])
            for (event, delivery) in readable {
                do {
                    _ = try await applyRetryingTransientErrors([event])
                    relayWake.signal()
                } catch let error as PostgresError where !error.isTransient {
                    try await deadLetter(delivery, reason: "cannot apply event: \(error)")
                }
            }
        }
        if let last = deliveries.last {
            try await consumer.ack(last.deliveryTag, multiple: true)
        }
    }

    /// Deadlocks, serialization failures and dropped connections pass: try again a few times.
    private func applyRetryingTransientErrors(_ events: [WorkerEvent]) async throws -> [WorkflowStore.Outcome] {
        var failures = 0
        while true {
            do {
                return try await applyAll(events)
            } catch let error as PostgresError where error.isTransient && failures < 5 {
                failures += 1
                logger.warning("transient database error; retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .milliseconds(50 << failures))
            }
        }
    }

    private func applyAll(_ events: [WorkerEvent]) async throws -> [WorkflowStore.Outcome] {
        guard !events.isEmpty else { return [] }
        let context = context
        // Workflows are locked in id order in every transaction, so batches of two
        // replicas cannot deadlock; the sort is stable, keeping each workflow's order.
        let ordered = events.enumerated().sorted {
            ($0.element.workflowId, $0.offset) < ($1.element.workflowId, $1.offset)
        }
        .map(\.element)
        let outcomes = try await pool.transaction { db in
            let now = Date()
            return try ordered.map {
                try WorkflowStore.apply($0, now: now, random: Double.random(in: 0..<1), context: context, on: db)
            }
        }
        for (event, outcome) in zip(ordered, outcomes) where outcome == .unknownWorkflow {
            logger.warning("event for an unknown workflow ignored", metadata: ["workflow": "\(event.workflowId)"])
        }
        applied.increment(by: events.count)
        return outcomes
    }

    private func deadLetter(_ delivery: AMQPDelivery, reason: String) async throws {
        logger.error("dead-lettering an event", metadata: ["reason": "\(reason)"])
        deadLettered.increment()
        try await publisher.publish([DeadLetter.message(for: delivery, from: queue, reason: reason)])
    }
}
