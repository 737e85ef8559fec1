import BatonAMQP
import BatonConfiguration
import BatonContracts
import BatonPostgres
import Hummingbird

/// `config/configuration_scheduler.yaml`, decoded and validated at start.
public struct SchedulerConfiguration: Sendable, Codable, Equatable {
    public var httpHost: String
    /// 0 picks a free port (tests).
    public var httpPort: Int
    /// A libpq connection string or `postgresql://` URL.
    public var postgresURL: String
    public var postgresPoolSize: Int
    /// How long one round trip to PostgreSQL waits for its answer before the session is
    /// dropped (and each connection attempt, up to 10 s of it).
    public var postgresTimeoutSeconds: Double
    /// The role that owns the schema and migrates it, when `postgres_url`'s may only
    /// read and write rows (least privilege); nil: `postgres_url` migrates too.
    public var migrationPostgresURL: String?
    public var brokerURL: String
    /// The command queue workers consume (DESIGN.md: `agents`).
    public var queue: String
    public var eventsQueue: String
    /// Events applied per transaction at most.
    public var eventBatchSize: Int
    /// Queues the events are spread over (by workflow id); replicas share them out.
    /// Every replica of an installation must use the same count (docs/architecture.md).
    public var eventPartitions: Int
    /// `classic` or `quorum` (replicated over a RabbitMQ cluster, with dead-lettering
    /// past `delivery_limit`): how the scheduler declares the shared queues.
    public var queueType: String
    /// Deliveries of one message before a quorum queue dead-letters it.
    public var deliveryLimit: Int
    /// Defaults of `WorkflowOptions` for submissions that do not set their own.
    public var maxAttempts: Int
    public var heartbeatIntervalSeconds: Double
    public var heartbeatTimeoutSeconds: Double
    public var startToCloseTimeoutSeconds: Double
    /// Checkpoints kept per workflow, the newest ones, running or finished (older ones
    /// are deleted as new ones arrive).
    public var checkpointRetention: Int
    /// Largest accepted API request body.
    public var maxRequestBytes: Int
    /// After the broker comes back, how long workers get to reconnect and report
    /// before heartbeat timeouts apply again.
    public var brokerRecoveryGraceSeconds: Double
    /// `/metrics` (and `/healthz`) on this address, apart from the API; port 0 turns it off.
    public var metricsHost: String
    public var metricsPort: Int
    public var logLevel: String
    /// `text`, `json` (one object per line) or `logfmt`.
    public var logFormat: String
    /// Spans to an OpenTelemetry collector (OTLP/HTTP); off without an endpoint.
    public var tracing: TracingSettings
    /// API keys of the configuration, by their hashes (more are made with `POST /v1/keys`).
    public var apiKeys: [ConfiguredAPIKey]
    /// Origins whose pages may call the API from a browser (CORS); none by default.
    public var corsOrigins: [String]
    /// An OpenID Connect issuer whose tokens are accepted beside API keys.
    public var oidc: OIDCConfiguration?
    /// Host names requests may name (`Host`), against DNS rebinding; empty: the loopback
    /// names when `http_host` is a loopback address, else any. `*` accepts any.
    public var allowedHosts: [String]
    /// How the workers are shared between tenants.
    public var fairness: FairnessConfiguration
    /// What a workflow may carry and store.
    public var limits: WorkflowLimits
    /// How long finished workflows are kept.
    public var retention: RetentionPolicy

    enum CodingKeys: String, CodingKey, CaseIterable {
        case httpHost = "http_host"
        case httpPort = "http_port"
        case postgresURL = "postgres_url"
        case postgresPoolSize = "postgres_pool_size"
        case postgresTimeoutSeconds = "postgres_timeout_seconds"
        case migrationPostgresURL = "migration_postgres_url"
        case brokerURL = "broker_url"
        case queue
        case eventsQueue = "events_queue"
        case eventBatchSize = "event_batch_size"
        case eventPartitions = "event_partitions"
        case queueType = "queue_type"
        case deliveryLimit = "delivery_limit"
        case maxAttempts = "max_attempts"
        case heartbeatIntervalSeconds = "heartbeat_interval_seconds"
        case heartbeatTimeoutSeconds = "heartbeat_timeout_seconds"
        case startToCloseTimeoutSeconds = "start_to_close_timeout_seconds"
        case checkpointRetention = "checkpoint_retention"
        case maxRequestBytes = "max_request_bytes"
        case brokerRecoveryGraceSeconds = "broker_recovery_grace_seconds"
        case metricsHost = "metrics_host"
        case metricsPort = "metrics_port"
        case logLevel = "log_level"
        case logFormat = "log_format"
        case tracing
        case apiKeys = "api_keys"
        case allowedHosts = "allowed_hosts"
        case oidc
        case corsOrigins = "cors_origins"
        case fairness
        case limits
        case retention
    }

    public init(
        httpHost: String = "127.0.0.1", httpPort: Int = 8080,
        postgresURL: String = "postgresql://postgres@127.0.0.1:5432/baton", postgresPoolSize: Int = 4,
        postgresTimeoutSeconds: Double = 10, migrationPostgresURL: String? = nil,
        brokerURL: String = "amqp://guest:guest@127.0.0.1:5672",
        queue: String = "agents",
        eventsQueue: String = "baton.events", eventBatchSize: Int = 256, maxAttempts: Int = 3,
        heartbeatIntervalSeconds: Double = 5, heartbeatTimeoutSeconds: Double = 30,
        startToCloseTimeoutSeconds: Double = 86_400, checkpointRetention: Int = 20, maxRequestBytes: Int = 1_048_576,
        metricsHost: String = "127.0.0.1", metricsPort: Int = 0, logLevel: String = "info", logFormat: String = "text",
        brokerRecoveryGraceSeconds: Double = 15,
        eventPartitions: Int = 16,
        queueType: String = "classic", deliveryLimit: Int = 20,
        apiKeys: [ConfiguredAPIKey] = [], allowedHosts: [String] = [], oidc: OIDCConfiguration? = nil,
        corsOrigins: [String] = [], fairness: FairnessConfiguration = FairnessConfiguration(),
        limits: WorkflowLimits = WorkflowLimits(), retention: RetentionPolicy = RetentionPolicy(),
        tracing: TracingSettings = TracingSettings()
    ) {
        self.tracing = tracing
        self.retention = retention
        self.limits = limits
        self.fairness = fairness
        self.corsOrigins = corsOrigins
        self.oidc = oidc
        self.apiKeys = apiKeys
        self.allowedHosts = allowedHosts
        self.eventPartitions = eventPartitions
        self.queueType = queueType
        self.deliveryLimit = deliveryLimit
        self.brokerRecoveryGraceSeconds = brokerRecoveryGraceSeconds
        self.heartbeatTimeoutSeconds = heartbeatTimeoutSeconds
        self.startToCloseTimeoutSeconds = startToCloseTimeoutSeconds
        self.checkpointRetention = checkpointRetention
        self.httpHost = httpHost
        self.httpPort = httpPort
        self.postgresURL = postgresURL
        self.postgresPoolSize = postgresPoolSize
        self.postgresTimeoutSeconds = postgresTimeoutSeconds
        self.migrationPostgresURL = migrationPostgresURL
        self.brokerURL = brokerURL
        self.queue = queue
        self.eventsQueue = eventsQueue
        self.eventBatchSize = eventBatchSize
        self.maxAttempts = maxAttempts
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.maxRequestBytes = maxRequestBytes
        self.metricsHost = metricsHost
        self.metricsPort = metricsPort
        self.logLevel = logLevel
        self.logFormat = logFormat
    }

    public init(from decoder: any Decoder) throws {
        let d = SchedulerConfiguration()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        httpHost = try c.decode(.httpHost, default: d.httpHost)
        httpPort = try c.decode(.httpPort, default: d.httpPort)
        postgresURL = try c.decode(.postgresURL, default: d.postgresURL)
        postgresPoolSize = try c.decode(.postgresPoolSize, default: d.postgresPoolSize)
        postgresTimeoutSeconds = try c.decode(.postgresTimeoutSeconds, default: d.postgresTimeoutSeconds)
        migrationPostgresURL = try c.decodeIfPresent(String.self, forKey: .migrationPostgresURL)
        brokerURL = try c.decode(.brokerURL, default: d.brokerURL)
        queue = try c.decode(.queue, default: d.queue)
        eventsQueue = try c.decode(.eventsQueue, default: d.eventsQueue)
        eventBatchSize = try c.decode(.eventBatchSize, default: d.eventBatchSize)
        eventPartitions = try c.decode(.eventPartitions, default: d.eventPartitions)
        queueType = try c.decode(.queueType, default: d.queueType)
        deliveryLimit = try c.decode(.deliveryLimit, default: d.deliveryLimit)
        maxAttempts = try c.decode(.maxAttempts, default: d.maxAttempts)
        heartbeatIntervalSeconds = try c.decode(.heartbeatIntervalSeconds, default: d.heartbeatIntervalSeconds)
        heartbeatTimeoutSeconds = try c.decode(.heartbeatTimeoutSeconds, default: d.heartbeatTimeoutSeconds)
        startToCloseTimeoutSeconds = try c.decode(.startToCloseTimeoutSeconds, default: d.startToCloseTimeoutSeconds)
        checkpointRetention = try c.decode(.checkpointRetention, default: d.checkpointRetention)
        maxRequestBytes = try c.decode(.maxRequestBytes, default: d.maxRequestBytes)
        metricsHost = try c.decode(.metricsHost, default: d.metricsHost)
        metricsPort = try c.decode(.metricsPort, default: d.metricsPort)
        logLevel = try c.decode(.logLevel, default: d.logLevel)
        logFormat = try c.decode(.logFormat, default: d.logFormat)
        tracing = try c.decode(.tracing, default: d.tracing)
        brokerRecoveryGraceSeconds = try c.decode(.brokerRecoveryGraceSeconds, default: d.brokerRecoveryGraceSeconds)
        apiKeys = try c.decode(.apiKeys, default: d.apiKeys)
        allowedHosts = try c.decode(.allowedHosts, default: d.allowedHosts)
        oidc = try c.decodeIfPresent(OIDCConfiguration.self, forKey: .oidc)
        corsOrigins = try c.decode(.corsOrigins, default: d.corsOrigins)
        fairness = try c.decode(.fairness, default: d.fairness)
        limits = try c.decode(.limits, default: d.limits)
        retention = try c.decode(.retention, default: d.retention)
    }

    /// `BATON_POSTGRES_URL`, `BATON_BROKER_URL`, `BATON_HTTP_PORT`, … override the file.
    public mutating func apply(_ environment: EnvironmentOverrides) throws(ConfigurationError) {
        if let value = try environment.string("BATON_HTTP_HOST") { httpHost = value }
        if let value = try environment.int("BATON_HTTP_PORT") { httpPort = value }
        if let value = try environment.string("BATON_POSTGRES_URL") { postgresURL = value }
        if let value = try environment.string("BATON_MIGRATION_POSTGRES_URL") { migrationPostgresURL = value }
        if let value = try environment.string("BATON_BROKER_URL") { brokerURL = value }
        if let value = try environment.string("BATON_QUEUE") { queue = value }
        if let value = try environment.string("BATON_EVENTS_QUEUE") { eventsQueue = value }
        if let value = try environment.int("BATON_EVENT_PARTITIONS") { eventPartitions = value }
        if let value = try environment.string("BATON_QUEUE_TYPE") { queueType = value }
        if let value = try environment.string("BATON_LOG_LEVEL") { logLevel = value }
        if let value = try environment.int("BATON_SCHEDULER_METRICS_PORT") { metricsPort = value }
        if let value = try environment.string("BATON_LOG_FORMAT") { logFormat = value }
        try tracing.apply(environment)
        if let value = try environment.bool("BATON_FAIRNESS") { fairness.enabled = value }
        // An administrator key for stacks that are configured by environment (compose, `baton dev`).
        if let value = try environment.string("BATON_ADMIN_KEY_SHA256") {
            apiKeys.append(.administrator(sha256: value))
        }
    }

    /// Connections that work but expose something: said at start.
    public var startWarnings: [String] {
        [
            PostgresTransportSecurity.warning(for: postgresURL),
            migrationPostgresURL.flatMap(PostgresTransportSecurity.warning(for:))?
                .replacingOccurrences(of: "postgres_url", with: "migration_postgres_url"),
            (try? AMQPEndpoint(url: brokerURL))?.transportWarning,
        ].compactMap(\.self)
    }

    public func validate(source: String) throws(ConfigurationError) {
        var validator = ConfigurationValidator()
        do {
            _ = try AMQPEndpoint(url: brokerURL)
        } catch {
            validator.require(false, "broker_url: \(error)")
        }
        validator.require(!httpHost.isEmpty, "http_host must not be empty")
        validator.require((0...65535).contains(httpPort), "http_port must be between 0 and 65535, got \(httpPort)")
        for (name, url) in [("postgres_url", postgresURL), ("migration_postgres_url", migrationPostgresURL)] {
            guard let url else { continue }
            validator.require(
                url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") || url.contains("="),
                "\(name) must be a postgresql:// URL or a libpq key=value string")
        }
        validator.require((1...100).contains(postgresPoolSize), "postgres_pool_size must be between 1 and 100")
        validator.require(
            postgresTimeoutSeconds.isFinite && (1...3_600).contains(postgresTimeoutSeconds),
            "postgres_timeout_seconds must be between 1 and 3600, got \(postgresTimeoutSeconds)")
        validator.require(!queue.isEmpty, "queue must not be empty")
        validator.require(
            !eventsQueue.isEmpty && eventsQueue != queue, "events_queue must be set and differ from queue")
        validator.require(
            !queue.hasPrefix(eventsQueue + "."),
            "queue must not start with '\(eventsQueue).' (the event partitions' names)")
        validator.require((1...10_000).contains(eventBatchSize), "event_batch_size must be between 1 and 10000")
        validator.require(
            (1...Topology.routingSlots).contains(eventPartitions),
            "event_partitions must be between 1 and \(Topology.routingSlots), got \(eventPartitions)")
        validator.require((1...100).contains(maxAttempts), "max_attempts must be between 1 and 100")
        validator.require(
            heartbeatIntervalSeconds > 0 && heartbeatIntervalSeconds <= 3600,
            "heartbeat_interval_seconds must be in (0, 3600]")
        validator.require(
            heartbeatTimeoutSeconds > heartbeatIntervalSeconds,
            "heartbeat_timeout_seconds must be larger than heartbeat_interval_seconds")
        validator.require(startToCloseTimeoutSeconds > 0, "start_to_close_timeout_seconds must be positive")
        // The defaults keep the bounds a submission's own options must keep.
        if let problem = workflowDefaults.validationError() {
            validator.require(false, "the workflow defaults (heartbeat_*, start_to_close_*, max_attempts): \(problem)")
        }
        validator.require(
            (1...10_000).contains(checkpointRetention), "checkpoint_retention must be between 1 and 10000")
        validator.require(
            brokerRecoveryGraceSeconds.isFinite && (0...3600).contains(brokerRecoveryGraceSeconds),
            "broker_recovery_grace_seconds must be between 0 and 3600")
        validator.require(
            (1024...67_108_864).contains(maxRequestBytes), "max_request_bytes must be between 1 KiB and 64 MiB")
        LogSettings.check(level: logLevel, format: logFormat, into: &validator)
        tracing.check(into: &validator)
        limits.check(into: &validator, maxRequestBytes: maxRequestBytes)
        for problem in retention.problems() { validator.require(false, problem) }
        validator.require(
            (0...65535).contains(metricsPort), "metrics_port must be between 0 (off) and 65535, got \(metricsPort)")
        validator.require(
            metricsPort == 0 || metricsPort != httpPort || httpPort == 0,
            "metrics_port must differ from http_port (\(httpPort)): /metrics has a port of its own")
        validator.require(
            SharedQueues.Kind(rawValue: queueType) != nil, "queue_type must be classic or quorum, got '\(queueType)'")
        validator.require(
            (1...1000).contains(deliveryLimit), "delivery_limit must be between 1 and 1000, got \(deliveryLimit)")
        for (index, key) in apiKeys.enumerated() {
            if let problem = key.problem(at: index) { validator.require(false, problem) }
        }
        let names = apiKeys.map { "\($0.tenant)/\($0.name)" }
        validator.require(Set(names).count == names.count, "api_keys: each tenant's key names must differ")
        validator.require(
            Set(apiKeys.map(\.sha256)).count == apiKeys.count, "api_keys: two entries have the same sha256")
        for problem in oidc?.problems() ?? [] { validator.require(false, problem) }
        for problem in fairness.problems() { validator.require(false, problem) }
        for origin in corsOrigins {
            if let problem = CORSPolicyMiddleware<BasicRequestContext>.problem(origin) {
                validator.require(false, problem)
            }
        }
        for host in allowedHosts where host != "*" {
            validator.require(
                !host.isEmpty && !host.contains(":") || host.hasPrefix("["),
                "allowed_hosts: '\(host)' must be a host name without a port (or '*')")
        }
        try validator.check(source: source)
    }

    /// The `Host` names the API answers to; nil for any.
    var allowedHostNames: Set<String>? {
        if allowedHosts.contains("*") { return nil }
        if allowedHosts.isEmpty { return BrowserSafety.defaultHosts(httpHost: httpHost) }
        return Set(allowedHosts.map { $0.lowercased() })
    }

    /// The options a workflow gets when its submission sets none.
    public var workflowDefaults: WorkflowOptions {
        WorkflowOptions(
            retry: RetryPolicy(maximumAttempts: maxAttempts), heartbeatIntervalSeconds: heartbeatIntervalSeconds,
            heartbeatTimeoutSeconds: heartbeatTimeoutSeconds, startToCloseTimeoutSeconds: startToCloseTimeoutSeconds)
    }
}

extension SchedulerConfiguration: ShapedConfiguration {
    public static var shape: ConfigurationShape {
        .flat(
            CodingKeys.allCases.map(\.rawValue),
            except: [
                CodingKeys.apiKeys.rawValue: .list(of: .flat(["name", "tenant", "roles", "sha256"])),
                CodingKeys.oidc.rawValue: .flat(OIDCConfiguration.CodingKeys.allCases.map(\.rawValue)),
                CodingKeys.limits.rawValue: .flat(WorkflowLimits.CodingKeys.allCases.map(\.rawValue)),
                CodingKeys.tracing.rawValue: .flat(TracingSettings.keys),
                CodingKeys.retention.rawValue: .flat(
                    RetentionPolicy.CodingKeys.allCases.map(\.rawValue),
                    except: [
                        RetentionPolicy.CodingKeys.tenants.rawValue: .dictionary(of: .value),
                        RetentionPolicy.CodingKeys.agents.rawValue: .dictionary(of: .value),
                    ]),
                CodingKeys.fairness.rawValue: .flat(
                    FairnessConfiguration.CodingKeys.allCases.map(\.rawValue),
                    except: [
                        FairnessConfiguration.CodingKeys.tenants.rawValue: .dictionary(
                            of: .flat(FairnessConfiguration.TenantShare.CodingKeys.allCases.map(\.rawValue)))
                    ]),
            ])
    }
}

extension SchedulerConfiguration {
    /// How the shared queues are declared (validated: `queue_type` is a kind).
    public var sharedQueues: SharedQueues {
        SharedQueues(kind: SharedQueues.Kind(rawValue: queueType) ?? .classic, deliveryLimit: deliveryLimit)
    }
}

extension SchedulerConfiguration {
    /// The daemon's limits on waiting for PostgreSQL (migrations wait as long as they take).
    var postgresTimeouts: PostgresTimeouts {
        PostgresTimeouts(
            connect: .seconds(min(10, postgresTimeoutSeconds)), roundTrip: .seconds(postgresTimeoutSeconds))
    }
}
