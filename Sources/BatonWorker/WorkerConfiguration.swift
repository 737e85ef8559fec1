import BatonAMQP
import BatonAgents
import BatonConfiguration
import BatonContracts
import BatonLLM
import BatonSchedulerClient
import Foundation
import Logging

/// `config/configuration_worker.yaml`, decoded and validated at start.
public struct WorkerConfiguration: Sendable, Codable, Equatable {
    /// The command queue (DESIGN.md: `agents`).
    public var queue: String
    /// Where events go back to the scheduler.
    public var eventsQueue: String
    public var brokerURL: String
    /// Activities run at once by this process; also the consumer prefetch.
    public var concurrency: Int
    public var heartbeatIntervalSeconds: Double
    public var drainTimeoutSeconds: Double
    /// How long a running activity's command stays unacknowledged (`CommandSlots`): while
    /// it is, a dead worker's command goes to another worker at once; after, the heartbeat
    /// timeout finds it. Must stay below the broker's `consumer_timeout` (RabbitMQ's
    /// default: 30 minutes), or the broker takes the command back and it runs twice.
    public var commandHoldSeconds: Double
    /// How long events wait for an unreachable broker before the activity gives up.
    public var brokerOutageSeconds: Double
    /// Agent names this worker serves; empty means every built-in agent.
    public var agents: [String]
    /// Model providers by name, for agents that call models.
    public var providers: [String: ProviderConfiguration]
    /// The scheduler's HTTP API, for agents that delegate child workflows.
    public var schedulerURL: String?
    /// `/metrics` and `/healthz` on this loopback-or-any port; 0 turns them off.
    public var metricsPort: Int
    public var metricsHost: String
    /// The folder test and benchmark hooks may write in (the chain agent's `exec_log`);
    /// nil, the default, switches the hooks off.
    public var testHooksFolder: String?
    public var logStore: String
    public var kpiStore: String
    public var logLevel: String
    /// `text`, `json` (one object per line) or `logfmt`.
    public var logFormat: String
    /// Spans to an OpenTelemetry collector (OTLP/HTTP); off without an endpoint.
    public var tracing: TracingSettings

    enum CodingKeys: String, CodingKey, CaseIterable {
        case queue
        case eventsQueue = "events_queue"
        case brokerURL = "broker_url"
        case concurrency
        case heartbeatIntervalSeconds = "heartbeat_interval_seconds"
        case drainTimeoutSeconds = "drain_timeout_seconds"
        case commandHoldSeconds = "command_hold_seconds"
        case brokerOutageSeconds = "broker_outage_seconds"
        case agents
        case providers
        case schedulerURL = "scheduler_url"
        case metricsPort = "metrics_port"
        case metricsHost = "metrics_host"
        case testHooksFolder = "test_hooks_folder"
        case logStore = "log_store"
        case kpiStore = "kpi_store"
        case logLevel = "log_level"
        case logFormat = "log_format"
        case tracing
    }

    public init(
        queue: String = "agents", eventsQueue: String = "baton.events",
        brokerURL: String = "amqp://guest:guest@127.0.0.1:5672", concurrency: Int = 16,
        heartbeatIntervalSeconds: Double = 5, drainTimeoutSeconds: Double = 30, commandHoldSeconds: Double = 900,
        brokerOutageSeconds: Double = 120,
        agents: [String] = [], providers: [String: ProviderConfiguration] = [:], schedulerURL: String? = nil,
        metricsPort: Int = 0, metricsHost: String = "127.0.0.1", testHooksFolder: String? = nil,
        logStore: String = "stdout", kpiStore: String = "log", logLevel: String = "info", logFormat: String = "text",
        tracing: TracingSettings = TracingSettings()
    ) {
        self.tracing = tracing
        self.testHooksFolder = testHooksFolder
        self.queue = queue
        self.eventsQueue = eventsQueue
        self.brokerURL = brokerURL
        self.concurrency = concurrency
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.drainTimeoutSeconds = drainTimeoutSeconds
        self.commandHoldSeconds = commandHoldSeconds
        self.brokerOutageSeconds = brokerOutageSeconds
        self.agents = agents
        self.providers = providers
        self.schedulerURL = schedulerURL
        self.metricsPort = metricsPort
        self.metricsHost = metricsHost
        self.logStore = logStore
        self.kpiStore = kpiStore
        self.logLevel = logLevel
        self.logFormat = logFormat
    }

    public init(from decoder: any Decoder) throws {
        let defaults = WorkerConfiguration()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        queue = try container.decode(.queue, default: defaults.queue)
        eventsQueue = try container.decode(.eventsQueue, default: defaults.eventsQueue)
        brokerURL = try container.decode(.brokerURL, default: defaults.brokerURL)
        concurrency = try container.decode(.concurrency, default: defaults.concurrency)
        heartbeatIntervalSeconds = try container.decode(
            .heartbeatIntervalSeconds, default: defaults.heartbeatIntervalSeconds)
        drainTimeoutSeconds = try container.decode(.drainTimeoutSeconds, default: defaults.drainTimeoutSeconds)
        commandHoldSeconds = try container.decode(.commandHoldSeconds, default: defaults.commandHoldSeconds)
        brokerOutageSeconds = try container.decode(.brokerOutageSeconds, default: defaults.brokerOutageSeconds)
        agents = try container.decode(.agents, default: defaults.agents)
        providers = try container.decode(.providers, default: defaults.providers)
        schedulerURL = try container.decodeIfPresent(String.self, forKey: .schedulerURL)
        metricsPort = try container.decode(.metricsPort, default: defaults.metricsPort)
        metricsHost = try container.decode(.metricsHost, default: defaults.metricsHost)
        testHooksFolder = try container.decodeIfPresent(String.self, forKey: .testHooksFolder)
        logStore = try container.decode(.logStore, default: defaults.logStore)
        kpiStore = try container.decode(.kpiStore, default: defaults.kpiStore)
        logLevel = try container.decode(.logLevel, default: defaults.logLevel)
        logFormat = try container.decode(.logFormat, default: defaults.logFormat)
        tracing = try container.decode(.tracing, default: defaults.tracing)
    }

    /// `BATON_BROKER_URL`, `BATON_QUEUE`, `BATON_WORKER_CONCURRENCY`, `BATON_SCHEDULER_URL` override the file.
    public mutating func apply(_ environment: EnvironmentOverrides) throws(ConfigurationError) {
        if let value = try environment.string("BATON_BROKER_URL") { brokerURL = value }
        if let value = try environment.string("BATON_QUEUE") { queue = value }
        if let value = try environment.string("BATON_EVENTS_QUEUE") { eventsQueue = value }
        if let value = try environment.int("BATON_WORKER_CONCURRENCY") { concurrency = value }
        if let value = try environment.string("BATON_LOG_LEVEL") { logLevel = value }
        if let value = try environment.string("BATON_LOG_FORMAT") { logFormat = value }
        try tracing.apply(environment)
        if let value = try environment.string("BATON_SCHEDULER_URL") { schedulerURL = value }
        if let value = try environment.int("BATON_WORKER_METRICS_PORT") { metricsPort = value }
        if let value = try environment.string("BATON_TEST_HOOKS_FOLDER") { testHooksFolder = value }
        if let value = try environment.double("BATON_COMMAND_HOLD_SECONDS") { commandHoldSeconds = value }
    }

    /// What agents get from this worker: a shared gateway per provider, the scheduler's API.
    public func agentResources(environment: [String: String] = ProcessInfo.processInfo.environment) -> AgentResources {
        AgentResources(
            models: Dictionary(
                uniqueKeysWithValues: providers.map { name, provider in
                    (
                        name,
                        ModelGateway(
                            name: name, configuration: provider, environment: environment, log: Self.modelLog)
                            as any ChatModel
                    )
                }),
            tasks: schedulerURL.map { SchedulerTaskDelegate(baseURL: $0) }, testHooksFolder: testHooksFolder)
    }

    /// Where the model client's waits and refusals go: the worker's log.
    static let modelLog: LLMLogHandler = { record in
        let level: Logger.Level =
            switch record.level {
            case .info: .info
            case .notice: .notice
            case .warning: .warning
            }
        Logger(label: "baton.worker.llm").log(
            level: level, "\(record.message)", metadata: record.metadata.mapValues { .string($0) })
    }

    /// The agents this worker serves (see `AgentRegistry.serving`) and those left out, with why.
    public func registry(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> (registry: AgentRegistry, skipped: [String]) {
        let serving = AgentRegistry.serving(agents, resources: agentResources(environment: environment))
        return (serving.registry, serving.skipped)
    }

    /// Every problem at once, so an operator fixes the file in one go.
    /// A broker reached in the clear or unverified: said at start.
    public var startWarnings: [String] { [(try? AMQPEndpoint(url: brokerURL))?.transportWarning].compactMap(\.self) }

    public func validate(
        source: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) {
        var validator = ConfigurationValidator()
        for (name, provider) in providers.sorted(by: { $0.key < $1.key }) {
            for problem in provider.problems(name: name, environment: environment) { validator.require(false, problem) }
        }
        do {
            _ = try AMQPEndpoint(url: brokerURL)
        } catch {
            validator.require(false, "broker_url: \(error)")
        }
        validator.require(!queue.isEmpty, "queue must not be empty")
        validator.require(
            !eventsQueue.isEmpty && eventsQueue != queue, "events_queue must be set and differ from queue")
        validator.require(
            (1...1000).contains(concurrency), "concurrency must be between 1 and 1000, got \(concurrency)")
        validator.require(
            heartbeatIntervalSeconds > 0 && heartbeatIntervalSeconds <= 3600,
            "heartbeat_interval_seconds must be in (0, 3600], got \(heartbeatIntervalSeconds)")
        validator.require(
            (0...65535).contains(metricsPort), "metrics_port must be between 0 (off) and 65535, got \(metricsPort)")
        // These become `Duration`s, which trap beyond their range: bounded.
        validator.require(
            drainTimeoutSeconds.isFinite && (0...86_400).contains(drainTimeoutSeconds),
            "drain_timeout_seconds must be between 0 and 86400, got \(drainTimeoutSeconds)")
        validator.require(
            commandHoldSeconds.isFinite && commandHoldSeconds >= 1 && commandHoldSeconds <= 2_592_000,
            "command_hold_seconds must be between 1 and 2592000 (30 days), and below the broker's consumer_timeout; got \(commandHoldSeconds)"
        )
        validator.require(
            brokerOutageSeconds.isFinite && brokerOutageSeconds > 0 && brokerOutageSeconds <= 86_400,
            "broker_outage_seconds must be in (0, 86400], got \(brokerOutageSeconds)")
        if let schedulerURL {
            validator.require(
                schedulerURL.hasPrefix("http://") || schedulerURL.hasPrefix("https://"),
                "scheduler_url must start with http:// or https://, got '\(schedulerURL)'")
        }
        // Listed agents must exist and have what they need (a provider, the scheduler's API).
        for problem in AgentRegistry.serving(agents, resources: agentResources(environment: environment)).problems {
            validator.require(false, problem)
        }
        if let testHooksFolder {
            var isFolder: ObjCBool = false
            validator.require(
                FileManager.default.fileExists(atPath: testHooksFolder, isDirectory: &isFolder) && isFolder.boolValue,
                "test_hooks_folder: '\(testHooksFolder)' is not an existing folder (create it, or remove the key to switch test hooks off)"
            )
        }
        validator.require(logStore == "stdout", "log_store: only 'stdout' is supported, got '\(logStore)'")
        validator.require(kpiStore == "log", "kpi_store: only 'log' is supported, got '\(kpiStore)'")
        LogSettings.check(level: logLevel, format: logFormat, into: &validator)
        tracing.check(into: &validator)
        try validator.check(source: source)
    }
}

extension WorkerConfiguration: ShapedConfiguration {
    public static var shape: ConfigurationShape {
        .flat(
            CodingKeys.allCases.map(\.rawValue),
            except: [
                "providers": .dictionary(of: .flat(ProviderConfiguration.yamlKeys)),
                CodingKeys.tracing.rawValue: .flat(TracingSettings.keys),
            ])
    }
}
