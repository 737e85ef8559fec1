import BatonConfiguration
import BatonScheduler
import BatonWorker
import ChildProcesses
import Foundation
import Testing
import Yams

private let kubectl = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

/// `docker/k8s`, rendered by `kubectl kustomize` as an operator would apply it, checked
/// against what the daemons and the image really do: probes on the routes the scheduler
/// serves, grace periods that cover the worker's drain, configuration files and
/// environment variables the daemons read (none unknown), the image's user.
@Suite(.enabled(if: kubectl != nil, "kubectl is not installed"))
struct KubernetesManifestTests {

    /// One rendered object.
    struct Object {
        let yaml: [String: Any]
        var kind: String { yaml["kind"] as? String ?? "" }
        var name: String { (yaml["metadata"] as? [String: Any])?["name"] as? String ?? "" }
        subscript(_ path: String...) -> Any? {
            path.reduce(yaml as Any?) { value, key in
                if let index = Int(key) {
                    return (value as? [Any]).flatMap { $0.indices.contains(index) ? $0[index] : nil }
                }
                return (value as? [String: Any])?[key]
            }
        }
    }

    static func render(_ overlay: String) async throws -> [Object] {
        let folder = SchedulerCrashTests.root.appendingPathComponent("docker/k8s/overlays/\(overlay)").path
        let result = try await ChildProcess.run(try #require(kubectl), arguments: ["kustomize", folder])
        try #require(result.status == 0, "kubectl kustomize \(overlay): \(result.errors)")
        return try Yams.load_all(yaml: result.output).compactMap { $0 as? [String: Any] }.map(Object.init)
    }

    static func one(_ kind: String, _ name: String, in objects: [Object]) throws -> Object {
        try #require(objects.first { $0.kind == kind && $0.name == name }, "no \(kind) \(name)")
    }

    /// The configuration file a container is started with, from the ConfigMap it mounts.
    static func configurationFile(of container: [String: Any], in objects: [Object]) throws -> String {
        let command = try #require(container["command"] as? [String])
        let path = try #require(command.firstIndex(of: "--config").map { command[$0 + 1] })
        let file = URL(fileURLWithPath: path).lastPathComponent
        let configMap = try #require(objects.first { $0.kind == "ConfigMap" && $0.name.hasPrefix("baton-config") })
        let mounts = try #require(container["volumeMounts"] as? [[String: Any]])
        #expect(
            mounts.contains {
                $0["mountPath"] as? String == URL(fileURLWithPath: path).deletingLastPathComponent().path
            })
        return try #require((configMap["data"] as? [String: String])?[file], "\(file) is not in the ConfigMap")
    }

    /// The variables a container sets, with values of the right shape in place of the
    /// secrets.
    static func environment(of container: [String: Any]) -> [String: String] {
        let names = (container["env"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        let placeholders = [
            "BATON_POSTGRES_URL": "postgresql://baton@postgres/baton",
            "BATON_MIGRATION_POSTGRES_URL": "postgresql://owner@postgres/baton",
            "BATON_BROKER_URL": "amqp://u:p@rabbitmq:5672",
            "BATON_ADMIN_KEY_SHA256": String(repeating: "a", count: 64),
        ]
        return Dictionary(uniqueKeysWithValues: names.map { ($0, placeholders[$0] ?? "x") })
    }

    static func container(_ deployment: Object) throws -> [String: Any] {
        try #require((deployment["spec", "template", "spec", "containers"] as? [[String: Any]])?.first)
    }

    /// The user the image runs as (`USER` in docker/Dockerfile).
    static func imageUser() throws -> String {
        let dockerfile = try String(
            contentsOf: SchedulerCrashTests.root.appendingPathComponent("docker/Dockerfile"), encoding: .utf8)
        return try #require(dockerfile.split(separator: "\n").last { $0.hasPrefix("USER ") }).dropFirst(5)
            .trimmingCharacters(in: .whitespaces)
    }

    @Test(arguments: ["keda", "hpa"])
    func theSchedulerRunsTwiceWithProbesOnItsRealRoutes(_ overlay: String) async throws {
        let objects = try await Self.render(overlay)
        let scheduler = try Self.one("Deployment", "baton-scheduler", in: objects)
        #expect((scheduler["spec", "replicas"] as? Int ?? 0) >= 2)
        let container = try Self.container(scheduler)
        #expect(container["image"] as? String == "baton:latest")
        let ports = container["ports"] as? [[String: Any]] ?? []
        #expect(ports.contains { $0["name"] as? String == "http" && $0["containerPort"] as? Int == 8080 })
        #expect(
            (container["readinessProbe"] as? [String: Any]).flatMap { $0["httpGet"] as? [String: Any] }?["path"]
                as? String == "/readyz")
        #expect(
            (container["livenessProbe"] as? [String: Any]).flatMap { $0["httpGet"] as? [String: Any] }?["path"]
                as? String == "/healthz")

        let budget = try Self.one("PodDisruptionBudget", "baton-scheduler", in: objects)
        #expect((budget["spec", "minAvailable"] as? Int ?? 0) >= 1)
        let podLabels = scheduler["spec", "template", "metadata", "labels"] as? [String: String] ?? [:]
        let selected = budget["spec", "selector", "matchLabels"] as? [String: String] ?? ["none": "none"]
        #expect(selected.allSatisfy { podLabels[$0.key] == $0.value })

        // The file and the variables load, validate, and name nothing the scheduler lacks.
        let yaml = try Self.configurationFile(of: container, in: objects)
        var configuration = try ConfigurationLoader.decode(SchedulerConfiguration.self, yaml: yaml, source: "k8s")
        let values = Self.environment(of: container)
        let environment = EnvironmentOverrides(values)
        try configuration.apply(environment)
        try configuration.validate(source: "k8s")
        #expect(environment.unaskedBatonVariables.isEmpty)
        #expect(configuration.httpPort == 8080)
        #expect(configuration.httpHost == "0.0.0.0")
    }

    @Test(arguments: ["keda", "hpa"])
    func workersDrainWithinTheirGracePeriodAndScaleOnTheRightTarget(_ overlay: String) async throws {
        let objects = try await Self.render(overlay)
        let worker = try Self.one("Deployment", "baton-worker", in: objects)
        let container = try Self.container(worker)
        #expect(container["image"] as? String == "baton:latest")
        let yaml = try Self.configurationFile(of: container, in: objects)
        var configuration = try ConfigurationLoader.decode(WorkerConfiguration.self, yaml: yaml, source: "k8s")
        let values = Self.environment(of: container)
        let environment = EnvironmentOverrides(values)
        try configuration.apply(environment)
        try configuration.validate(source: "k8s", environment: values)
        #expect(environment.unaskedBatonVariables.isEmpty)
        #expect(configuration.testHooksFolder == nil)
        #expect(!configuration.agents.contains("chain"))
        // The daemon waits drain_timeout_seconds + 5 before it stops (WorkerCommand).
        let grace = try #require(worker["spec", "template", "spec", "terminationGracePeriodSeconds"] as? Int)
        #expect(Double(grace) >= configuration.drainTimeoutSeconds + 5)
        // The liveness probe is on the worker's metrics port, which must be served.
        #expect(configuration.metricsPort != 0 && configuration.metricsHost == "0.0.0.0")
        let ports = container["ports"] as? [[String: Any]] ?? []
        #expect(
            ports.contains {
                $0["name"] as? String == "metrics" && $0["containerPort"] as? Int == configuration.metricsPort
            })

        switch overlay {
        case "keda":
            let scaled = try Self.one("ScaledObject", "baton-worker", in: objects)
            #expect(scaled["spec", "scaleTargetRef", "name"] as? String == "baton-worker")
            #expect(scaled["spec", "triggers", "0", "metadata", "queueName"] as? String == configuration.queue)
            #expect(scaled["spec", "triggers", "0", "metadata", "value"] as? String == "\(configuration.concurrency)")
            #expect(!objects.contains { $0.kind == "HorizontalPodAutoscaler" })  // KEDA makes its own
        default:
            let hpa = try Self.one("HorizontalPodAutoscaler", "baton-worker", in: objects)
            #expect(hpa["spec", "scaleTargetRef", "name"] as? String == "baton-worker")
        }
    }

    /// The schema is migrated by a Job of its own, the only pod with the owner's URL;
    /// the schedulers connect as the runtime role.
    @Test func aJobMigratesTheSchemaWithTheOwnersURLAndTheSchedulersDoNot() async throws {
        let objects = try await Self.render("keda")
        let job = try Self.one("Job", "baton-migrate", in: objects)
        let container = try Self.container(job)
        #expect(container["image"] as? String == "baton:latest")
        let command = container["command"] as? [String] ?? []
        #expect(command.starts(with: ["baton-scheduler", "migrate"]))
        func secretKeys(_ container: [String: Any]) -> [String: String] {
            var keys: [String: String] = [:]
            for variable in container["env"] as? [[String: Any]] ?? [] {
                let reference = (variable["valueFrom"] as? [String: Any])?["secretKeyRef"] as? [String: Any]
                if let name = variable["name"] as? String, let key = reference?["key"] as? String { keys[name] = key }
            }
            return keys
        }
        let scheduler = try Self.container(try Self.one("Deployment", "baton-scheduler", in: objects))
        #expect(secretKeys(container)["BATON_MIGRATION_POSTGRES_URL"] == "migration-postgres-url")
        #expect(secretKeys(container)["BATON_POSTGRES_URL"] == secretKeys(scheduler)["BATON_POSTGRES_URL"])
        #expect(secretKeys(scheduler)["BATON_MIGRATION_POSTGRES_URL"] == nil)
        #expect(job["spec", "template", "spec", "restartPolicy"] as? String == "OnFailure")

        let yaml = try Self.configurationFile(of: container, in: objects)
        var configuration = try ConfigurationLoader.decode(SchedulerConfiguration.self, yaml: yaml, source: "k8s")
        let environment = EnvironmentOverrides(Self.environment(of: container))
        try configuration.apply(environment)
        try configuration.validate(source: "k8s")
        #expect(environment.unaskedBatonVariables.isEmpty)
        #expect(configuration.migrationPostgresURL != nil)
    }

    @Test func podsRunAsTheImagesUserWithNothingWritableButTmp() async throws {
        let objects = try await Self.render("keda")
        let user = try Self.imageUser()
        for deployment in objects where ["Deployment", "Job"].contains(deployment.kind) {
            let pod = try #require(deployment["spec", "template", "spec"] as? [String: Any])
            let security = pod["securityContext"] as? [String: Any] ?? [:]
            #expect(security["runAsNonRoot"] as? Bool == true, "\(deployment.name)")
            #expect("\(security["runAsUser"] ?? ""):\(security["runAsGroup"] ?? "")" == user, "\(deployment.name)")
            let container = try Self.container(deployment)
            let containerSecurity = container["securityContext"] as? [String: Any] ?? [:]
            #expect(containerSecurity["readOnlyRootFilesystem"] as? Bool == true)
            #expect(containerSecurity["allowPrivilegeEscalation"] as? Bool == false)
        }
        // Nothing but the API and the workers' metrics can be reached.
        let policies = objects.filter { $0.kind == "NetworkPolicy" }
        #expect(policies.contains { ($0["spec", "podSelector"] as? [String: Any])?.isEmpty == true })
        #expect(objects.allSatisfy { $0.kind == "Namespace" || ($0["metadata", "namespace"] as? String) == "baton" })
        #expect(!objects.contains { $0.kind == "Secret" })  // secrets are the operator's, never in the repository
    }
}
