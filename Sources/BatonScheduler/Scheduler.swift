import BatonAMQP
import BatonPostgres
import BatonWorkflow
import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// Builds the scheduler: connects to PostgreSQL and the broker, migrates the schema,
/// declares the queues, and returns the HTTP application that runs the outbox relay
/// and the event consumer as services beside the server.
///
/// Connecting happens here, before anything runs, so a wrong URL or a service that
/// is down is reported at start.
public enum Scheduler {
    public static func makeApplication(
        configuration: SchedulerConfiguration, logger: Logger, metrics: PrometheusCollectorRegistry? = nil,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> some ApplicationProtocol {
        let endpoint = try AMQPEndpoint(url: configuration.brokerURL)
        let pool = PostgresPool(
            connectionString: configuration.postgresURL, size: configuration.postgresPoolSize, name: "scheduler")
        let applied = try await Migrations.run(on: pool)
        if !applied.isEmpty { logger.info("database migrated", metadata: ["versions": "\(applied)"]) }

        let publisher = try await AMQPConnection.connect(to: endpoint, name: "scheduler-publish")
        try await publisher.enableConfirms()
        for queue in [
            configuration.queue, DeadLetter.queue(for: configuration.queue), configuration.eventsQueue,
            DeadLetter.queue(for: configuration.eventsQueue),
        ] {
            try await publisher.declareQueue(queue)
        }
        let consumer = try await AMQPConnection.connect(to: endpoint, name: "scheduler-events")

        let wake = WakeSignal()
        let context = WorkflowStore.Context(
            commandQueue: configuration.queue,
            options: WorkflowOptions(
                maxAttempts: configuration.maxAttempts,
                heartbeatIntervalSeconds: configuration.heartbeatIntervalSeconds))
        let relay = OutboxRelay(pool: pool, broker: publisher, wake: wake, logger: logger)
        let events = EventConsumer(
            pool: pool, consumer: consumer, publisher: publisher, queue: configuration.eventsQueue,
            batchSize: configuration.eventBatchSize, context: context, relayWake: wake, logger: logger)

        let router = Router()
        router.get("healthz") { _, _ in "ok" }
        if let metrics {
            router.get("metrics") { _, _ in
                var buffer: [UInt8] = []
                metrics.emit(into: &buffer)
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                    body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
            }
        }
        WorkflowController(
            pool: pool, context: context, relayWake: wake, maxRequestBytes: configuration.maxRequestBytes
        ).addRoutes(to: router.group("v1/workflows"))

        logger.info(
            "scheduler ready",
            metadata: [
                "broker": "\(endpoint)", "queue": "\(configuration.queue)",
                "events_queue": "\(configuration.eventsQueue)",
                "http": "\(configuration.httpHost):\(configuration.httpPort)",
            ])
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort)),
            services: [relay, events],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.httpPort) },
            logger: logger)
    }
}
