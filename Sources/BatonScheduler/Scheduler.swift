import BatonAMQP
import BatonContracts
import BatonLifecycle
import BatonObservability
import BatonPostgres
import BatonWorkflow
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// Builds the scheduler: connects to PostgreSQL and the broker, migrates the schema,
/// declares the queues, and returns its services — outbox relay, event consumer, timer
/// service and the HTTP application — ready for a `ServiceGroup`.
///
/// Connecting happens here, before anything runs, so a wrong URL or a service that
/// is down is reported at start. Each service, when it ends or fails, shuts the whole
/// group down gracefully (never by cancellation, which can crash NIO's server while
/// it accepts a connection: apple/swift-nio#2637), so the process exits cleanly and
/// its supervisor restarts it.
public enum Scheduler {
    public static func makeServices(
        configuration: SchedulerConfiguration, logger: Logger, metrics: PrometheusCollectorRegistry? = nil,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        try await makeServices(
            configuration: configuration, logger: logger, metrics: metrics, onServerRunning: onServerRunning,
            replica: UUID().uuidString.lowercased(), kill: nil)
    }

    /// Migrates over `migration_postgres_url` when it is set, granting the scheduler's
    /// own role its rows; otherwise as the scheduler's role. Over a connection of its
    /// own, without the daemon's round-trip limit: an index build may rightly take long.
    private static func runMigrations(
        _ configuration: SchedulerConfiguration, pool: PostgresPool
    ) async throws
        -> [Int]
    {
        var runtimeRole: String?
        if configuration.migrationPostgresURL != nil {
            runtimeRole = try await pool.withConnection { db in
                try await db.query("SELECT current_user AS name").first?.string("name")
            }
        }
        let migrations = PostgresPool(
            connectionString: configuration.migrationPostgresURL ?? configuration.postgresURL, size: 1,
            name: "scheduler-migrations", timeouts: .unbounded)
        do {
            let applied = try await Migrations.run(on: migrations, grantingRowsTo: runtimeRole)
            await migrations.close()
            return applied
        } catch {
            await migrations.close()
            throw error
        }
    }

    /// Brings the schema up to date and returns: `baton-scheduler migrate`, a step a
    /// deployment runs once before the replicas start (a Kubernetes Job, a compose
    /// service the schedulers wait for), so that the replicas' role needs no right to
    /// change the schema. Returns the versions applied, none when it was up to date.
    public static func migrate(
        configuration: SchedulerConfiguration, logger: Logger, waitingUpTo wait: Duration
    ) async throws -> [Int] {
        let pool = PostgresPool(
            connectionString: configuration.postgresURL, size: 1, name: "scheduler",
            timeouts: configuration.postgresTimeouts)
        do {
            let applied = try await migrateWaitingForTheDatabase(
                configuration, pool: pool, health: DependencyHealth(name: "PostgreSQL"), logger: logger,
                until: .now + wait)
            await pool.close()
            return applied
        } catch {
            await pool.close()
            throw error
        }
    }

    /// A database that is still starting (compose, a restart) is waited for, until
    /// `deadline` if there is one; a configuration error (authentication, an unknown
    /// database) ends the start.
    private static func migrateWaitingForTheDatabase(
        _ configuration: SchedulerConfiguration, pool: PostgresPool, health: DependencyHealth, logger: Logger,
        until deadline: ContinuousClock.Instant?
    ) async throws -> [Int] {
        var backoff = Backoff()
        while true {
            do {
                let applied = try await runMigrations(configuration, pool: pool)
                health.succeeded(logger: logger)
                return applied
            } catch let error as PostgresError where error.isTransient && !error.isConfigurationError {
                health.failed(error, logger: logger)
                let delay = backoff.nextDelay()
                if let deadline, ContinuousClock.now + delay > deadline { throw error }
                try await Task.sleep(for: delay)
            }
        }
    }

    /// `replica` names this replica in the leases; `kill` lets tests make its event
    /// partitions behave as in a killed process.
    static func makeServices(
        configuration: SchedulerConfiguration, logger: Logger, metrics: PrometheusCollectorRegistry? = nil,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }, replica: String,
        kill: PartitionKillSwitch?
    ) async throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let endpoint = try AMQPEndpoint(url: configuration.brokerURL)
        let pool = PostgresPool(
            connectionString: configuration.postgresURL, size: configuration.postgresPoolSize, name: "scheduler",
            timeouts: configuration.postgresTimeouts)
        let database = DependencyHealth(name: "PostgreSQL")
        let broker = DependencyHealth(name: "RabbitMQ")
        let applied = try await migrateWaitingForTheDatabase(
            configuration, pool: pool, health: database, logger: logger, until: nil)
        if !applied.isEmpty { logger.info("database migrated", metadata: ["versions": "\(applied)"]) }
        let partitions = configuration.eventPartitions
        // Its own connection: renewals must never wait behind event batches.
        let leases = PartitionLeases(
            pool: PostgresPool(
                connectionString: configuration.postgresURL, size: 1, name: "scheduler-leases",
                timeouts: configuration.postgresTimeouts),
            eventsQueue: configuration.eventsQueue, replica: replica, partitions: partitions)
        // Refuses a count other than the live replicas' (before anything is rebound).
        let unbind = try await leases.join()

        let (commandQueue, eventsQueue, controlExchange) = (
            configuration.queue, configuration.eventsQueue, WorkerCommand.controlExchange(for: configuration.queue)
        )
        let queues = configuration.sharedQueues
        // Waits through broker outages of up to two minutes; a longer one fails the
        // relay's batch, which it retries.
        let publisher = ReconnectingPublisher(
            endpoint: endpoint, name: "baton-scheduler publish \(configuration.queue)", maximumOutage: .seconds(120),
            log: { logger.warning("\($0)") }
        ) { connection in
            try await Topology.declareShared(
                on: connection, commandQueue: commandQueue, eventsQueue: eventsQueue, controlExchange: controlExchange,
                partitions: partitions, queues: queues)
        }
        try await publisher.start()
        if !unbind.isEmpty {
            try await rebind(
                endpoint: endpoint, eventsQueue: eventsQueue, previous: unbind, current: partitions, queues: queues)
            try await leases.finishRebinding(previous: unbind)
            logger.notice(
                "event partition count changed; partitions above it are emptied, then deleted",
                metadata: ["from": "\(unbind)", "to": "\(partitions)"])
        }
        let wake = WakeSignal()
        let dispatchWake = WakeSignal()
        var engine = WorkflowEngine(
            repository: PostgresWorkflowRepository(pool: pool),
            settings: WorkflowEngine.Settings(
                commandQueue: configuration.queue, defaults: configuration.workflowDefaults,
                checkpointRetention: configuration.checkpointRetention, fairDispatch: configuration.fairness.enabled,
                limits: configuration.limits.activity, maxInputBytes: configuration.limits.maxInputBytes,
                maxHistoryEntries: configuration.limits.maxHistoryEntries),
            relayWake: wake)
        engine.dispatchWake = dispatchWake
        engine.onEnded = { [logger] ended in
            for workflow in ended {
                Counter(
                    label: "baton_workflows_finished_total",
                    dimensions: [("agent", workflow.agent), ("outcome", workflow.status.rawValue)]
                ).increment()
                var metadata: Logger.Metadata = [
                    "workflow": "\(workflow.id)", "agent": "\(workflow.agent)", "tenant": "\(workflow.tenant)",
                    "attempt": "\(workflow.attempt)",
                ]
                if let reason = workflow.reason { metadata["reason"] = "\(reason)" }
                if let traceId = workflow.traceId { metadata["trace_id"] = "\(traceId)" }
                let level: Logger.Level = workflow.status == .completed ? .info : .notice
                logger.log(level: level, "workflow \(workflow.status.rawValue)", metadata: metadata)
            }
        }
        let admission = DispatchAdmission(policy: configuration.fairness)
        engine.admission = admission
        let relay = OutboxRelay(pool: pool, broker: publisher, wake: wake, logger: logger, database: database)
        // Also with fairness off: commands held before it was switched off are released.
        let gate = DispatchGate(
            pool: pool, policy: configuration.fairness, wake: dispatchWake, relayWake: wake, admission: admission,
            logger: logger, database: database)
        let activity = ConsumerActivity()
        let events = EventConsumer(
            pool: pool, publisher: publisher, queue: configuration.eventsQueue,
            batchSize: configuration.eventBatchSize, engine: engine, database: database, broker: broker,
            logger: logger, activity: activity)
        let queueList = EventQueueList(
            EventPartitions.queues(eventsQueue: eventsQueue, partitions: partitions, retiring: []))
        let partitionService = EventPartitionService(
            leases: leases, activity: activity, database: database, logger: logger, kill: kill,
            consumer: { queue, retiring, control in
                EventQueueConsumer(
                    events: events, endpoint: endpoint, queue: queue, retiring: retiring, replica: replica,
                    control: control, activity: activity)
            }, queues: queueList)

        let text = TextFanout(endpoint: endpoint, commandQueue: commandQueue, replica: replica, logger: logger)
        let router = try SchedulerRouter.make(
            engine: engine, pool: pool, database: database, broker: broker,
            maxRequestBytes: configuration.maxRequestBytes, apiKeys: configuration.apiKeys, oidc: configuration.oidc,
            allowedHosts: configuration.allowedHostNames, corsOrigins: Set(configuration.corsOrigins), text: text,
            retention: configuration.retention, limits: configuration.limits, logger: logger)
        if configuration.apiKeys.isEmpty && configuration.oidc == nil {
            logger.warning(
                "no API key is configured: API requests need a key made with POST /v1/keys, which needs one itself; add one to api_keys (make it with 'baton keys generate') or set BATON_ADMIN_KEY_SHA256"
            )
        }

        logger.info(
            "scheduler ready",
            metadata: [
                "broker": "\(endpoint)", "queue": "\(configuration.queue)",
                "events_queue": "\(configuration.eventsQueue)", "event_partitions": "\(partitions)",
                "replica": "\(replica)",
                "http": "\(configuration.httpHost):\(configuration.httpPort)",
                "metrics":
                    "\(configuration.metricsPort == 0 ? "off" : "\(configuration.metricsHost):\(configuration.metricsPort)")",
            ])
        let http = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort)),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.httpPort) },
            logger: logger)
        let timers = TimerService(
            engine: engine, logger: logger,
            eventsGate: EventsBacklogGate(
                endpoint: endpoint, queue: configuration.eventsQueue, settle: .seconds(2),
                brokerRecovery: .seconds(configuration.brokerRecoveryGraceSeconds), logger: logger, database: database,
                queues: queueList, activity: activity),
            database: database)
        // Started in this order, stopped in reverse: HTTP stops taking requests first.
        let gauges = WorkflowGauges(pool: pool, logger: logger, interval: .seconds(15))
        var services: [any Service] = [relay, gate, partitionService, timers, gauges, text, http]
        if configuration.retention.isEnabled {
            services.append(RetentionService(policy: configuration.retention, pool: pool, logger: logger))
        }
        // Its own listener, so that the public API port does not expose what the
        // installation runs (agents, tenants' usage) and the metrics can be bound apart.
        if let metrics, configuration.metricsPort > 0 {
            services.append(
                MetricsRoutes.server(
                    host: configuration.metricsHost, port: configuration.metricsPort, registry: metrics, logger: logger)
            )
        }
        return services.map { $0.shutsDownGroupWhenDone }
    }

    /// Removes the bindings of earlier partition counts (the current ones are bound).
    private static func rebind(
        endpoint: AMQPEndpoint, eventsQueue: String, previous: [Int], current: Int, queues: SharedQueues
    )
        async throws
    {
        let connection = try await AMQPConnection.connect(to: endpoint, name: "baton-scheduler rebind \(eventsQueue)")
        do {
            for count in previous {
                try await Topology.unbindSlots(
                    on: connection, eventsQueue: eventsQueue, previous: count, current: current, queues: queues)
            }
            await connection.close()
        } catch {
            await connection.close()
            throw error
        }
    }
}
