import BatonContracts
import BatonHTTPClient
import BatonLifecycle
import BatonSchedulerClient
import ChildProcesses
import Foundation
import ServiceLifecycle
import Synchronization
import Testing

/// The real `baton-scheduler` binary, killed with SIGKILL in the middle of a burst.
@Suite struct SchedulerCrashTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    struct SchedulerProcess {
        let process: ChildProcess
        let baseURL: String

        static func start(
            databaseURL: String, queue: String, eventsQueue: String, port: Int,
            environment extra: [String: String] = [:]
        ) async throws -> Self {
            let binary = root.appendingPathComponent(".build/debug/baton-scheduler")
            guard FileManager.default.isExecutableFile(atPath: binary.path) else {
                Issue.record("\(binary.path) is missing: build it with 'swift build' (make test does)")
                throw CancellationError()
            }
            var environment = ProcessInfo.processInfo.environment
            environment["BATON_POSTGRES_URL"] = databaseURL
            environment["BATON_BROKER_URL"] = TestServices.brokerURL
            environment["BATON_QUEUE"] = queue
            environment["BATON_EVENTS_QUEUE"] = eventsQueue
            environment["BATON_HTTP_PORT"] = String(port)
            environment["BATON_SCHEDULER_METRICS_PORT"] = "0"  // several run at once
            environment["BATON_LOG_LEVEL"] = "error"
            environment["BATON_ADMIN_KEY_SHA256"] = TestServices.keys["admin"]!.sha256
            environment.merge(extra) { $1 }
            let process = try await ChildProcess.start(
                binary.path,
                arguments: ["--config", root.appendingPathComponent("config/configuration_scheduler.yaml").path],
                environment: environment, output: .handed(output: .discarded, errors: .inherited))
            let baseURL = "http://127.0.0.1:\(port)"
            // Up to a minute: on a loaded cluster declaring its quorum queues takes long.
            for _ in 0..<600 {
                if let response = try? await HTTPClient.send(
                    HTTPRequest(url: baseURL + "/healthz", timeout: .seconds(1))),
                    response.status == 200
                {
                    return SchedulerProcess(process: process, baseURL: baseURL)
                }
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            await process.terminate()
            Issue.record("baton-scheduler did not become healthy on port \(port)")
            throw CancellationError()
        }

        func kill() async {
            await process.kill()
        }
    }

    /// What a test with a scheduler process and in-process workers works with.
    struct ProcessStack {
        let databaseURL: String
        let queue: String
        let eventsQueue: String
        let port: Int
        /// The scheduler started first; the test may kill it and start another on `port`.
        let first: SchedulerProcess

        func startScheduler() async throws -> SchedulerProcess {
            try await SchedulerProcess.start(
                databaseURL: databaseURL, queue: queue, eventsQueue: eventsQueue, port: port)
        }
    }

    /// A worker in this process (8 slots) and a `baton-scheduler` process, on a fresh
    /// database and queues; the workers are stopped gracefully after `body`.
    static func withSchedulerProcess(_ body: (ProcessStack) async throws -> Void) async throws {
        let databaseURL = try await TestServices.freshDatabase()
        let queue = TestServices.uniqueName("agents")
        let eventsQueue = queue + ".events"
        let port = Int.random(in: 20_000..<32_000)
        let workers = ServiceGroup(
            configuration: .init(
                services: Stack.workerServices(count: 1, queue: queue, eventsQueue: eventsQueue, concurrency: 8)
                    .map(\.shutsDownGroupWhenDone),
                logger: TestServices.logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await workers.run() }
            let first = try await SchedulerProcess.start(
                databaseURL: databaseURL, queue: queue, eventsQueue: eventsQueue, port: port)
            try await body(
                ProcessStack(databaseURL: databaseURL, queue: queue, eventsQueue: eventsQueue, port: port, first: first)
            )
            await workers.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    @Test func aSchedulerKilledMidBurstLosesAndDoublesNothing() async throws {
        try await Self.withSchedulerProcess { stack in
            let (databaseURL, first) = (stack.databaseURL, stack.first)
            let total = 40
            for index in 0..<total {
                let body = try JSONEncoder().encode(
                    SubmitWorkflowRequest(id: "burst-\(index)", agent: "chain", input: ["sleep_ms": 20]))
                let response = try await HTTPClient.send(
                    HTTPRequest(
                        method: "POST", url: first.baseURL + "/v1/workflows",
                        headers: TestServices.authorization().merging(["Content-Type": "application/json"]) { $1 },
                        body: body))
                #expect(response.status == 201)
            }
            _ = try await Stack.waitForCount(
                databaseURL, "SELECT count(*) AS n FROM workflows WHERE status = 'completed'", atLeast: 3)
            await first.kill()
            let inFlight = try await Stack.query(
                databaseURL, "SELECT count(*) AS n FROM workflows WHERE finished_at IS NULL")
            let second = try await stack.startScheduler()
            let done = try await Stack.waitForCount(
                databaseURL, "SELECT count(*) AS n FROM workflows WHERE status = 'completed'", atLeast: total)
            #expect(done == total)
            #expect(Int(inFlight.first?["n"] ?? "0") ?? 0 > 0, "the kill came after the burst had finished")

            let perWorkflow = try await Stack.query(
                databaseURL,
                """
                SELECT w.id, w.result,
                    (SELECT count(*) FROM workflow_events e WHERE e.workflow_id = w.id AND e.type = 'completed'
                        AND e.outcome = 'applied') AS completions,
                    (SELECT count(*) FROM workflow_events e WHERE e.workflow_id = w.id AND e.type = 'dispatched') AS dispatches
                FROM workflows w
                """)
            #expect(perWorkflow.count == total)
            for row in perWorkflow.all {
                #expect(row["completions"] == "1", "\(row["id"] ?? "")")
                #expect(row["dispatches"] == "1", "\(row["id"] ?? "")")
                let result = try JSONDecoder().decode(JSONValue.self, from: Data((row["result"] ?? "null").utf8))
                let nodes = result["steps"]?.arrayValue?.compactMap { $0["node"]?.stringValue }
                #expect(nodes == (0..<5).map { "step_\($0)" }, "\(row["id"] ?? "")")
            }
            await second.process.terminate()
        }
    }

    /// Issue #13: a client following a workflow's stream rides out the scheduler's
    /// death. It reconnects with the last history entry it got (`Last-Event-ID`) to the
    /// scheduler started in its place, and ends with every entry exactly once, in order.
    @Test func aFollowedStreamResumesAcrossASchedulerRestartWithoutAGapOrARepeat() async throws {
        try await Self.withSchedulerProcess { stack in
            let id = "followed"
            let client = TestServices.client(stack.first.baseURL, as: "admin")
            _ = try await client.submit(
                SubmitWorkflowRequest(id: id, agent: "chain", input: ["steps": 8, "sleep_ms": 300]))
            var sequences: [Int] = []
            var last: WorkflowView?
            var reconnects = 0
            var second: SchedulerProcess?
            let lost = Counter()
            for try await event in client.follow(id, onReconnect: { _ in lost.add() }) {
                switch event {
                case .history(let entry):
                    sequences.append(entry.sequence)
                    if sequences.count == 3 {
                        await stack.first.kill()
                        second = try await stack.startScheduler()
                    }
                case .end(let view): last = view
                case .workflow, .text: break
                }
            }
            reconnects = lost.value
            #expect(last?.status == .completed)
            #expect(reconnects >= 1, "the stream never broke: the kill came too late")
            let history = try await client.history(id, after: 0, limit: 1000)
            #expect(sequences == history.map(\.sequence))
            #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count)
            await second?.process.terminate()
        }
    }
}

/// Counts from any task.
private final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
