import BatonContracts
import BatonPostgres
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import BatonScheduler

/// The scheduler's routes in-process, over the real engine and repository on a fresh
/// test database: what the daemon serves, without its services.
struct RoutesHarness {
    let engine: WorkflowEngine
    let repository: PostgresWorkflowRepository
    /// For the test framework's in-process client.
    let app: Application<RouterResponder<BasicRequestContext>>
    /// On a real port of loopback, for clients that connect (`.live`).
    let liveApp: Application<RouterResponder<BasicRequestContext>>

    init(
        apiKeys: [ConfiguredAPIKey] = [], oidc: OIDCConfiguration? = nil, allowedHosts: Set<String>? = nil,
        corsOrigins: Set<String> = []
    ) async throws {
        let pool = try await TestDatabase.fresh()
        repository = PostgresWorkflowRepository(pool: pool)
        engine = WorkflowEngine(
            repository: repository,
            settings: WorkflowEngine.Settings(
                commandQueue: "agents", defaults: WorkflowOptions(), checkpointRetention: 3),
            relayWake: nil)
        let router = try SchedulerRouter.make(
            engine: engine, pool: pool, database: DependencyHealth(name: "PostgreSQL"),
            broker: DependencyHealth(name: "RabbitMQ"), maxRequestBytes: 64 * 1024, apiKeys: apiKeys,
            oidc: oidc, allowedHosts: allowedHosts, corsOrigins: corsOrigins, logger: Logger(label: "test"))
        app = Application(router: router)
        liveApp = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// A worker's event for the workflow's current attempt, with its lease token.
    func report(_ id: String, _ kind: WorkerEvent.Kind) async throws {
        let machine = try #require(try await repository.transaction { tx in try tx.lockWorkflow(id)?.machine })
        _ = try await engine.apply([
            .worker(
                WorkerEvent(
                    workflowId: id, attempt: machine.attempt, workerId: "w1", leaseToken: machine.leaseToken,
                    kind: kind))
        ])
    }

    func leaseToken(of id: String) async throws -> String {
        try #require(try await repository.transaction { tx in try tx.lockWorkflow(id)?.machine.leaseToken })
    }
}
