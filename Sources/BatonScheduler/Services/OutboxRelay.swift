import BatonAMQP
import BatonPostgres
import BatonTracing
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import Tracing

/// Publishes committed outbox rows to the broker with confirms, then deletes them.
///
/// Rows are locked with `FOR UPDATE SKIP LOCKED`, so any number of scheduler replicas
/// can relay at once without sending a row twice; a crash between the broker's
/// confirm and the delete re-sends that batch (at-least-once), which the fencing and
/// idempotence of commands absorb.
struct OutboxRelay: Service {
    let pool: PostgresPool
    let broker: ReconnectingPublisher
    let wake: WakeSignal
    let logger: Logger
    /// Told of the database's outages, which are logged there once, not at every retry.
    let database: DependencyHealth?
    let batchSize = 256
    private let published = Counter(label: "baton_outbox_published_total")
    /// From a command's commit to the broker's confirm of it.
    private let lag = Metrics.Timer(label: "baton_outbox_lag_seconds")
    /// Rows the broker confirmed whose delete did not commit (the database went away
    /// between the two): deleted, not sent again, when the database is back. A second
    /// copy of a command runs its first node on another worker before it is stopped.
    private let confirmedNotDeleted = ConfirmedRows()

    init(
        pool: PostgresPool, broker: ReconnectingPublisher, wake: WakeSignal, logger: Logger,
        database: DependencyHealth? = nil
    ) {
        self.database = database
        self.pool = pool
        self.broker = broker
        self.wake = wake
        self.logger = logger
    }

    func run() async throws {
        var backoff = Backoff()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let count = try await relayBatch()
                database?.succeeded(logger: logger)
                backoff.reset()
                if count < batchSize { await wake.wait(upTo: .milliseconds(250)) }
            } catch {
                database.report(error, or: "outbox relay failed; will retry", logger: logger)
                try await Task.sleep(for: backoff.nextDelay())
            }
        }
    }

    /// Relays one batch; returns the number of rows sent.
    func relayBatch() async throws -> Int {
        try await pool.withConnection { db in
            try await db.query("BEGIN")
            do {
                let rows = try await db.query(
                    """
                    SELECT id, workflow_id, exchange, routing_key, body, headers::text AS headers,
                        extract(epoch FROM clock_timestamp() - created_at)::float8 AS age
                    FROM outbox ORDER BY id LIMIT \(batchSize) FOR UPDATE SKIP LOCKED
                    """
                )
                guard !rows.isEmpty else {
                    try await db.query("COMMIT")
                    return 0
                }
                let ids = try rows.all.map { try $0.int("id") }
                let alreadySent = confirmedNotDeleted.contains(ids)
                var spans: [any Span] = []
                defer { for span in spans { span.end() } }
                let messages = try rows.all.filter { !alreadySent.contains(try $0.int("id")) }.map { row in
                    let exchange = try row.string("exchange")
                    let routingKey = try row.string("routing_key")
                    let span = Self.sendSpan(
                        workflowId: try row.string("workflow_id"),
                        destination: exchange.isEmpty ? routingKey : exchange,
                        continuing: try JSONColumn.value([String: String].self, from: row["headers"]) ?? [:])
                    spans.append(span)
                    // Cancellations are broadcast; with no worker listening there is nobody to stop.
                    return AMQPMessage(
                        routingKey: routingKey, body: Data(try row.string("body").utf8), exchange: exchange,
                        headers: TraceHeaders.inject(span.context), mandatory: exchange.isEmpty)
                }
                do {
                    try await broker.publish(messages)
                } catch {
                    for span in spans { span.recordError(error) }
                    throw error
                }
                for row in rows.all { lag.recordSeconds(Double(row["age"] ?? "") ?? 0) }
                confirmedNotDeleted.insert(ids)
                try await db.query("DELETE FROM outbox WHERE id = ANY(\(ids))")
                try await db.query("COMMIT")
                confirmedNotDeleted.remove(ids)
                published.increment(by: messages.count)
                return rows.count
            } catch {
                _ = try? await db.query("ROLLBACK")
                throw error
            }
        }
    }

    /// A command's trip to the broker, as a span of the trace it continues: the
    /// submitting request's, the timer's or the event's that caused it (or a new trace).
    static func sendSpan(workflowId: String, destination: String, continuing headers: [String: String]) -> any Span {
        let span = startSpan("send \(destination)", context: TraceHeaders.extract(headers), ofKind: .producer)
        span.attributes[SpanAttributeNames.messagingSystem] = "rabbitmq"
        span.attributes[SpanAttributeNames.messagingOperation] = "send"
        span.attributes[SpanAttributeNames.messagingDestination] = destination
        span.attributes[SpanAttributeNames.workflowId] = workflowId
        return span
    }
}

/// The outbox rows this relay has had confirmed by the broker but not yet deleted.
final class ConfirmedRows: Sendable {
    private let ids = Mutex<Set<Int>>([])

    func contains(_ candidates: [Int]) -> Set<Int> {
        ids.withLock { ids in Set(candidates.filter(ids.contains)) }
    }

    func insert(_ new: [Int]) { ids.withLock { $0.formUnion(new) } }

    func remove(_ done: [Int]) { ids.withLock { $0.subtract(done) } }
}
