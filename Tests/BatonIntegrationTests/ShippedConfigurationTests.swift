import BatonConfiguration
import BatonObservability
import BatonScheduler
import BatonWorker
import Foundation
import Testing

/// The configuration files the project ships load, validate, and serve only the real
/// agents (issue #10 (0): the chain agent's test hooks are for development only).
@Suite struct ShippedConfigurationTests {
    static func path(_ relative: String) -> String {
        SchedulerCrashTests.root.appendingPathComponent(relative).path
    }

    @Test(arguments: ["config/configuration_worker.yaml", "docker/configuration_worker.yaml"])
    func shippedWorkersServeOnlyTheRealAgents(_ file: String) throws {
        let configuration = try ConfigurationLoader.load(WorkerConfiguration.self, from: Self.path(file))
        #expect(!configuration.agents.isEmpty)
        #expect(!configuration.agents.contains("chain"))
        #expect(configuration.testHooksFolder == nil)
    }

    /// The formats both configurations accept are those the log handler writes.
    @Test func everyLogFormatTheConfigurationsAcceptIsWritten() {
        #expect(LogSettings.formats == LogFormat.allCases.map(\.rawValue))
        var validator = ConfigurationValidator()
        LogSettings.check(level: "info", format: "yaml", into: &validator)
        #expect(validator.problems == ["log_format must be one of text, json, logfmt, got 'yaml'"])
    }

    /// Issue #14: `tracing:` is checked at start with the rest, a misspelt key included.
    @Test func everyTracingProblemIsReportedAtStart() throws {
        let yaml = """
            tracing:
              otlp_endpont: http://collector:4318/v1/traces
              otlp_endpoint: collector:4318
              protocol: grpc
              sample_ratio: 2
            """
        do {
            let configuration = try ConfigurationLoader.decode(WorkerConfiguration.self, yaml: yaml, source: "w.yaml")
            try configuration.validate(source: "w.yaml", environment: [:])
            Issue.record("accepted")
        } catch {
            #expect(error.problems.contains { $0.contains("unknown key 'tracing.otlp_endpont'") }, "\(error)")
        }
        let fixed = yaml.replacingOccurrences(of: "  otlp_endpont: http://collector:4318/v1/traces\n", with: "")
        do {
            let configuration = try ConfigurationLoader.decode(WorkerConfiguration.self, yaml: fixed, source: "w.yaml")
            try configuration.validate(source: "w.yaml", environment: [:])
            Issue.record("accepted")
        } catch {
            #expect(error.problems.count == 3, "\(error.problems)")
            #expect(
                error.problems.contains { $0.hasPrefix("tracing.otlp_endpoint must be an http:// or https:// URL") })
            #expect(
                error.problems.contains { $0.hasPrefix("tracing.protocol must be one of http/protobuf, http/json") })
            #expect(error.problems.contains { $0.hasPrefix("tracing.sample_ratio must be between 0 and 1") })
        }
        var scheduler = SchedulerConfiguration()
        try scheduler.apply(
            EnvironmentOverrides([
                "BATON_TRACING_OTLP_ENDPOINT": "https://collector/v1/traces", "BATON_TRACING_SAMPLE_RATIO": "0.25",
            ]))
        #expect(scheduler.tracing == TracingSettings(otlpEndpoint: "https://collector/v1/traces", sampleRatio: 0.25))
        #expect(scheduler.tracing.isEnabled(environment: [:]))
        #expect(!SchedulerConfiguration().tracing.isEnabled(environment: [:]))
        #expect(
            SchedulerConfiguration().tracing.isEnabled(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"]))
    }

    @Test func theSchedulerFileLoadsAndValidates() throws {
        let file = Self.path("config/configuration_scheduler.yaml")
        let configuration = try ConfigurationLoader.load(SchedulerConfiguration.self, from: file)
        try configuration.validate(source: file)
    }

    /// Durations from a configuration file become `Duration`s, which trap past their
    /// range: `broker_outage_seconds: 1e308` would have stopped the worker at its first
    /// outage, and a default below the options' floors slipped past submit's checks.
    @Test func durationsInTheFilesAreBounded() {
        #expect(throws: ConfigurationError.self) {
            try WorkerConfiguration(drainTimeoutSeconds: 1e308, brokerOutageSeconds: 1e308)
                .validate(source: "worker.yaml", environment: [:])
        }
        do {
            try SchedulerConfiguration(heartbeatIntervalSeconds: 0.01, heartbeatTimeoutSeconds: 1e300)
                .validate(source: "scheduler.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.problems.contains { $0.contains("heartbeatIntervalSeconds must be between 0.5") })
        }
    }

    /// At `log_level: debug` the worker printed its AMQP URL, password included: the
    /// service group logs each service's description.
    @Test func theWorkerServiceNeverDescribesItsConfiguration() {
        let worker = WorkerService(
            configuration: WorkerConfiguration(brokerURL: "amqp://baton:s3cret-pass@127.0.0.1:5672"),
            registry: .init(), logger: TestServices.logger)
        #expect(!"\(worker)".contains("s3cret"))
        #expect(!String(reflecting: worker).contains("s3cret"))
    }

    /// Issue #13: keys of the configuration are checked at start, all problems at once,
    /// a misspelt key inside an entry included; BATON_ADMIN_KEY_SHA256 adds one.
    @Test func apiKeysOfTheConfigurationAreCheckedAtStart() throws {
        let good = String(repeating: "a", count: 64)
        let yaml = """
            api_keys:
              - {name: ops, tenant: default, roles: [admin], sha256: \(good)}
              - {name: ci, tenant: "bad tenant", roles: [submit, root], sha256: 1234}
              - {name: x, tenant: acme, role: [read], sha256: \(String(repeating: "b", count: 64))}
            """
        do {
            let configuration = try ConfigurationLoader.decode(
                SchedulerConfiguration.self, yaml: yaml, source: "scheduler.yaml")
            try configuration.validate(source: "scheduler.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.problems.contains { $0.contains("unknown key 'api_keys[2].role' (did you mean 'roles'?)") })
        }
        let fixed = yaml.replacingOccurrences(of: "role: [read]", with: "roles: [read]")
        let configuration = try ConfigurationLoader.decode(SchedulerConfiguration.self, yaml: fixed, source: "s.yaml")
        do {
            try configuration.validate(source: "s.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.problems.contains { $0.contains("api_keys[1] (ci): tenant must be") })
            #expect(!error.problems.contains { $0.contains("api_keys[0]") })
        }
        var environment = SchedulerConfiguration()
        try environment.apply(EnvironmentOverrides(["BATON_ADMIN_KEY_SHA256": good.uppercased()]))
        #expect(environment.apiKeys == [ConfiguredAPIKey.administrator(sha256: good)])
        try environment.validate(source: "env")
    }
}
