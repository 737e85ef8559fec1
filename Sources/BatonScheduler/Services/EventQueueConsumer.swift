import BatonAMQP
import Logging
import ServiceLifecycle
import Synchronization

/// Consumes one events queue — a partition, the base queue, or a retired partition
/// being emptied — on a connection of its own, while this replica holds its lease.
///
/// One connection per queue: a queue is given up by cancelling its consumer and
/// closing its connection, without touching the others, and acknowledgements
/// (`multiple`) never reach past the queue they belong to.
/// Giving up in order (a release, a shutdown): cancel the consumer, apply and
/// acknowledge what was already delivered, close. Abandoning (the lease may be lost):
/// the task is cancelled and the connection closed at once; what was not acknowledged
/// goes back to the queue, for the next holder.
struct EventQueueConsumer: Sendable {
    enum End: Sendable, Equatable {
        /// Stopped in order: everything delivered was applied and acknowledged.
        case released
        /// A retired partition was empty and is deleted.
        case deleted
        /// Stopped abruptly (cancelled); unacknowledged deliveries return to the queue.
        case abandoned
    }

    /// Asks a running consumer to stop in order.
    final class Control: Sendable {
        private let releasing = Atomic<Bool>(false)
        func release() { releasing.store(true, ordering: .relaxed) }
        var isReleasing: Bool { releasing.load(ordering: .relaxed) }
    }

    let events: EventConsumer
    let endpoint: AMQPEndpoint
    let queue: String
    let retiring: Bool
    let replica: String
    let control: Control
    let activity: ConsumerActivity

    private var stopping: Bool { control.isReleasing || Task.isCancelled || Task.isShuttingDownGracefully }

    func run() async throws -> End {
        var backoff = Backoff()
        let (broker, logger) = (events.broker, events.logger)
        while !stopping {
            let connection: AMQPConnection
            let tag: String
            do {
                // The queue in the name tells installations sharing a broker apart.
                connection = try await AMQPConnection.connect(
                    to: endpoint, name: "baton-scheduler events \(queue) (replica \(replica))")
                try await connection.setPrefetch(UInt16(min(events.batchSize * 2, Int(UInt16.max))))
                tag = try await connection.consume(queue)
                backoff.reset()
                broker.succeeded(logger: logger)
            } catch {
                broker.failed(error, logger: logger)
                try await Task.sleep(for: backoff.nextDelay())
                continue
            }
            do {
                let end = try await consume(connection, tag: tag)
                await connection.close()
                if let end { return end }
            } catch let error as AMQPError {
                await connection.close()
                broker.failed(error, logger: logger)
            } catch {
                // Cancelled, or a shutdown during an outage: what is unacknowledged comes back.
                await connection.close()
                if stopping { throw error }
                logger.error(
                    "event consumer failed; reconnecting", metadata: ["error": "\(error)", "queue": "\(queue)"])
                try await Task.sleep(for: backoff.nextDelay())
            }
        }
        return Task.isCancelled ? .abandoned : .released
    }

    /// Consumes until asked to stop; nil when the connection should be reopened.
    private func consume(_ connection: AMQPConnection, tag: String) async throws -> End? {
        while !stopping {
            guard let first = try await connection.nextDelivery(timeout: .milliseconds(200)) else {
                if retiring, try await connection.messageCount(queue) == 0 {
                    return try await deleteRetired(connection, tag: tag)
                }
                continue
            }
            try await apply(startingWith: first, on: connection)
        }
        if Task.isCancelled { return .abandoned }
        try await connection.cancelConsumer(tag)
        try await drain(connection)
        return .released
    }

    /// After `basic.cancel` returns, every delivery sent before it has arrived (the
    /// client keeps what came during the call); apply and acknowledge them.
    /// Only 50 ms without a delivery ends it: a nil can also mean that an acknowledgement
    /// cut a wait short.
    private func drain(_ connection: AMQPConnection) async throws {
        var quietSince = ContinuousClock.now
        while !Task.isCancelled, ContinuousClock.now - quietSince < .milliseconds(50) {
            if let first = try await connection.nextDelivery(timeout: .milliseconds(50)) {
                try await apply(startingWith: first, on: connection)
                quietSince = .now
            }
        }
    }

    /// A retired partition receives nothing any more (its bindings are gone): once
    /// empty it is deleted; the broker refuses if a message is in it after all.
    private func deleteRetired(_ connection: AMQPConnection, tag: String) async throws -> End {
        try await connection.cancelConsumer(tag)
        try await drain(connection)
        try await connection.deleteQueue(queue, ifEmpty: true)
        events.logger.info("retired event partition emptied and deleted", metadata: ["queue": "\(queue)"])
        return .deleted
    }

    private func apply(startingWith first: AMQPDelivery, on connection: AMQPConnection) async throws {
        let id = activity.makeId()
        activity.hold(id)
        defer { activity.settle(id) }
        var batch = [first]
        while batch.count < events.batchSize, let next = try await connection.nextDelivery(timeout: .zero) {
            batch.append(next)
        }
        try await events.process(batch, consumer: connection)
    }
}
