import BatonAMQP
import BatonAgents
import BatonContracts
import BatonHTTPClient
import BatonIdentity
import BatonLifecycle
import BatonPostgres
import BatonScheduler
import BatonSchedulerClient
import BatonWorker
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// The real PostgreSQL and RabbitMQ started by `scripts/services.sh` (`make test` does
/// it and exports their URLs). Each test gets its own database and queue names, so
/// tests run in parallel without seeing each other.
enum TestServices {
    static let postgresURL =
        ProcessInfo.processInfo.environment["BATON_POSTGRES_URL"] ?? "postgresql://postgres@127.0.0.1:16439/baton"
    static var postgresPort: Int { URLComponents(string: postgresURL)?.port ?? 5432 }
    /// Below the test broker's 30-second consumer timeout (scripts/services.sh), as in
    /// config/dev: a longer activity's command is released before the broker takes it back.
    static let commandHoldSeconds = 20.0
    static let brokerURL =
        ProcessInfo.processInfo.environment["BATON_BROKER_URL"] ?? "amqp://guest:guest@127.0.0.1:16572"

    static var logger: Logger {
        // Standard error is unbuffered: the lines survive a test run that hangs or crashes.
        var logger = Logger(label: "baton.test", factory: { label in StreamLogHandler.standardError(label: label) })
        logger.logLevel =
            ProcessInfo.processInfo.environment["BATON_TEST_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) }
            ?? .critical
        return logger
    }

    /// The API keys every test stack is configured with: an administrator, two people
    /// of the initial tenant, and one of another tenant.
    static let keys: [String: APIKeyToken] = Dictionary(
        uniqueKeysWithValues: ["admin", "alice", "bob", "mallory"].map { ($0, APIKeyToken.generate()) })

    static var configuredKeys: [ConfiguredAPIKey] {
        [
            ConfiguredAPIKey(name: "admin", tenant: "default", roles: ["admin"], sha256: keys["admin"]!.sha256),
            ConfiguredAPIKey(
                name: "alice", tenant: "default", roles: ["submit", "read", "answer", "cancel"],
                sha256: keys["alice"]!.sha256),
            ConfiguredAPIKey(name: "bob", tenant: "default", roles: ["submit", "read"], sha256: keys["bob"]!.sha256),
            ConfiguredAPIKey(
                name: "mallory", tenant: "elsewhere", roles: ["submit", "read", "answer", "cancel"],
                sha256: keys["mallory"]!.sha256),
        ]
    }

    /// `Authorization` for `holder`'s key (the administrator's by default).
    static func authorization(_ holder: String = "admin") -> [String: String] {
        ["Authorization": "Bearer \(keys[holder]!.text)"]
    }

    /// The API client acting as `holder`.
    static func client(_ baseURL: String, as holder: String = "admin") -> SchedulerClient {
        SchedulerClient(baseURL: baseURL, credential: keys[holder]!.text)
    }

    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Creates an empty database and returns its URL.
    static func freshDatabase() async throws -> String {
        let name = uniqueName("baton_test")
        let admin = try await connectOrExplain(postgresURL)
        try await admin.query("CREATE DATABASE \(unescaped: name)")
        await admin.close()
        guard let slash = postgresURL.lastIndex(of: "/") else { return postgresURL }
        return String(postgresURL[...slash]) + name
    }

    static func connectOrExplain(_ url: String) async throws -> PostgresConnection {
        do {
            // Unbounded: CREATE and DROP DATABASE wait for checkpoints, which took longer
            // than the daemons' 30 s limit when every test made and dropped databases at once.
            return try await PostgresConnection.connect(url, name: "test", timeouts: .unbounded)
        } catch {
            Issue.record("PostgreSQL is not reachable at \(url): start it with 'make services-start' (\(error))")
            throw error
        }
    }

    /// One test's database becomes unreachable, as in an outage, while every other
    /// test's database stays up: new connections are refused and open ones cut.
    struct DatabaseOutage {
        let name: String
        let admin: PostgresConnection

        static func begin(_ databaseURL: String) async throws -> DatabaseOutage {
            let name = String(databaseURL.split(separator: "/").last ?? "")
            let admin = try await connectOrExplain(postgresURL)
            try await admin.query("ALTER DATABASE \(unescaped: name) ALLOW_CONNECTIONS false")
            try await admin.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(name) AND pid <> pg_backend_pid()"
            )
            return DatabaseOutage(name: name, admin: admin)
        }

        func end() async throws {
            try await admin.query("ALTER DATABASE \(unescaped: name) ALLOW_CONNECTIONS true")
            await admin.close()
        }
    }

    /// Classic queues, or quorum ones when `BATON_TEST_QUEUE_TYPE=quorum`
    /// (`scripts/cluster-tests.sh`).
    static let queues =
        ProcessInfo.processInfo.environment["BATON_TEST_QUEUE_TYPE"] == "quorum"
        ? SharedQueues(kind: .quorum) : .classic

    static func broker() async throws -> AMQPConnection {
        try await AMQPConnection.connect(to: AMQPEndpoint(url: brokerURL), name: "test")
    }
}

/// A scheduler and a worker running in this process against the test services.
struct Stack: Sendable {
    let baseURL: String
    let databaseURL: String
    let queue: String
    let eventsQueue: String

    /// Other scheduler replicas' base URLs (same database and queues).
    var replicaURLs: [String] = []

    /// Starts `schedulers` scheduler replicas and `workers` workers, runs `body`, then
    /// shuts everything down gracefully. `brokerRecoveryGraceSeconds`: how long after the
    /// start heartbeat and schedule-to-start timers are held back (`EventsBacklogGate`).
    static func run(
        schedulers: Int = 1, workers: Int = 1, concurrency: Int = 4, agents: [any Agent] = [],
        queue: String = TestServices.uniqueName("agents"), schedulerBrokerURL: String = TestServices.brokerURL,
        eventPartitions: Int = 4, brokerRecoveryGraceSeconds: Double = 1,
        fairness: FairnessConfiguration = FairnessConfiguration(), queues: SharedQueues = TestServices.queues,
        limits: WorkflowLimits = WorkflowLimits(), retention: RetentionPolicy = RetentionPolicy(),
        workerBrokerURL: String = TestServices.brokerURL,
        schedulerDatabaseURL: (String) -> String = { $0 }, migrationDatabaseURL: ((String) -> String)? = nil,
        postgresTimeoutSeconds: Double = 30,
        prepareDatabase: (String) async throws -> Void = { _ in },
        _ body: @Sendable (Stack) async throws -> Void
    ) async throws {
        let databaseURL = try await TestServices.freshDatabase()
        try await prepareDatabase(databaseURL)
        let eventsQueue = queue + ".events"
        let logger = TestServices.logger
        let scheduler = SchedulerConfiguration(
            httpHost: "127.0.0.1", httpPort: 0, postgresURL: schedulerDatabaseURL(databaseURL), postgresPoolSize: 4,
            postgresTimeoutSeconds: postgresTimeoutSeconds,
            migrationPostgresURL: migrationDatabaseURL?(databaseURL),
            brokerURL: schedulerBrokerURL, queue: queue, eventsQueue: eventsQueue, heartbeatIntervalSeconds: 1,
            heartbeatTimeoutSeconds: 10, brokerRecoveryGraceSeconds: brokerRecoveryGraceSeconds,
            eventPartitions: eventPartitions, queueType: queues.kind.rawValue, deliveryLimit: queues.deliveryLimit,
            apiKeys: TestServices.configuredKeys, fairness: fairness, limits: limits, retention: retention)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        for _ in 0..<schedulers {
            services += try await Scheduler.makeServices(
                configuration: scheduler, logger: logger, onServerRunning: { portContinuation.yield($0) })
        }
        services += workerServices(
            count: workers, queue: queue, eventsQueue: eventsQueue, concurrency: concurrency, agents: agents,
            brokerURL: workerBrokerURL
        ).map(\.shutsDownGroupWhenDone)
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var urls: [String] = []
            var iterator = ports.makeAsyncIterator()
            while urls.count < schedulers, let port = await iterator.next() { urls.append("http://127.0.0.1:\(port)") }
            let stack = Stack(
                baseURL: urls.first ?? "", databaseURL: databaseURL, queue: queue, eventsQueue: eventsQueue,
                replicaURLs: Array(urls.dropFirst()))
            do {
                // Submissions are checked against the schemas the workers report: a body
                // that submits before they did would see no schema to check.
                if workers > 0 {
                    _ = try await waitForCount(
                        databaseURL, "SELECT count(*) AS n FROM workers WHERE descriptors IS NOT NULL",
                        atLeast: workers)
                }
                try await body(stack)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    static func workerServices(
        count: Int, queue: String, eventsQueue: String, concurrency: Int, agents: [any Agent] = [],
        commandHoldSeconds: Double = TestServices.commandHoldSeconds, brokerURL: String = TestServices.brokerURL
    ) -> [any Service] {
        // The chain's execution log (a test hook) in the temporary folder, as the worker
        // processes the tests start have it.
        var registry = AgentRegistry.builtIn(
            resources: AgentResources(testHooksFolder: HeldChain.folder.path))
        for agent in agents { registry.register(agent) }
        return (0..<count).map { _ in
            WorkerService(
                configuration: WorkerConfiguration(
                    queue: queue, eventsQueue: eventsQueue, brokerURL: brokerURL, concurrency: concurrency,
                    commandHoldSeconds: commandHoldSeconds),
                registry: registry, logger: TestServices.logger)
        }
    }

    // MARK: HTTP

    func post(_ path: String, json: String, as holder: String = "admin") async throws -> HTTPResponse {
        try await HTTPClient.send(
            HTTPRequest(
                method: "POST", url: baseURL + path,
                headers: TestServices.authorization(holder).merging(["Content-Type": "application/json"]) { $1 },
                body: Data(json.utf8)))
    }

    func get(_ path: String, as holder: String = "admin") async throws -> HTTPResponse {
        try await HTTPClient.send(HTTPRequest(url: baseURL + path, headers: TestServices.authorization(holder)))
    }

    func submit(
        _ request: SubmitWorkflowRequest, via baseURL: String? = nil, as holder: String = "admin"
    ) async throws -> (
        status: Int, view: WorkflowView
    ) {
        let response = try await HTTPClient.send(
            HTTPRequest(
                method: "POST", url: (baseURL ?? self.baseURL) + "/v1/workflows",
                headers: TestServices.authorization(holder).merging(["Content-Type": "application/json"]) { $1 },
                body: try JSONEncoder().encode(request)))
        return (response.status, try Self.decode(response))
    }

    /// The API client acting as `holder`.
    func client(as holder: String = "admin") -> SchedulerClient { TestServices.client(baseURL, as: holder) }

    func workflow(_ id: String) async throws -> WorkflowView {
        try Self.decode(try await get("/v1/workflows/\(id)"))
    }

    /// Polls until the workflow is terminal. The deadline only stops a hung test; it asserts no timing.
    func waitUntilFinished(_ id: String, deadline: Duration = .seconds(120)) async throws -> WorkflowView {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            let view = try await workflow(id)
            if view.status.isTerminal { return view }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("workflow \(id) did not finish within \(deadline)")
        return try await workflow(id)
    }

    static func decode(_ response: HTTPResponse) throws -> WorkflowView {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(WorkflowView.self, from: response.body)
        } catch {
            Issue.record("HTTP \(response.status): \(String(decoding: response.body, as: UTF8.self))")
            throw error
        }
    }

    // MARK: Database

    @discardableResult
    /// With no worker running: takes the next run command off the command queue (and
    /// acknowledges it), to play the worker by hand; nil when none came within 20 s.
    func takeRunCommand(on broker: AMQPConnection) async throws -> RunActivity? {
        for _ in 0..<400 {
            if let delivery = try await broker.get(queue) {
                try await broker.ack(delivery.deliveryTag)
                if case .runActivity(let run) = try WorkerCommand.decode(delivery.body) { return run }
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        return nil
    }

    func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await Self.query(databaseURL, query)
    }

    static func query(_ databaseURL: String, _ query: PostgresQuery) async throws -> PostgresRows {
        let connection = try await PostgresConnection.connect(databaseURL, name: "test-read")
        let rows = try await connection.query(query)
        await connection.close()
        return rows
    }

    /// Polls `condition` every 250 ms until it holds; records an issue and throws after a minute.
    static func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        Issue.record("timed out waiting for \(what)")
        throw CancellationError()
    }

    /// Polls the database until `sql` (fixed text made by the test, returning one
    /// column `n`) reaches `target`.
    static func waitForCount(
        _ databaseURL: String, _ sql: String, atLeast target: Int, deadline: Duration = .seconds(120)
    ) async throws -> Int {
        let end = ContinuousClock.now + deadline
        var count = 0
        while ContinuousClock.now < end {
            count = Int(try await query(databaseURL, PostgresQuery(unsafeSQL: sql)).first?["n"] ?? "0") ?? 0
            if count >= target { return count }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("only \(count) of \(target) after \(deadline): \(sql)")
        return count
    }
}
