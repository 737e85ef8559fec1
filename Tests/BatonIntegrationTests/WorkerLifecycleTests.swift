import BatonAgents
import BatonContracts
import BatonLifecycle
import BatonWorker
import ChildProcesses
import Foundation
import ServiceLifecycle
import Testing

/// Workers come and go: drained, killed, added. No work is lost and finished steps
/// are not run again. A kill or a drain lands inside a step that waits for the test's
/// go-ahead (the chain's hold hook), so a loaded machine that lets the test look late
/// cannot make the workflow finish first.
@Suite struct WorkerLifecycleTests {
    static func workerGroup(_ stack: Stack, concurrency: Int = 4, agents: [any Agent] = []) -> ServiceGroup {
        ServiceGroup(
            configuration: .init(
                services: Stack.workerServices(
                    count: 1, queue: stack.queue, eventsQueue: stack.eventsQueue, concurrency: concurrency,
                    agents: agents
                ).map(\.shutsDownGroupWhenDone), logger: TestServices.logger))
    }

    /// Runs a fresh in-process worker until workflow `id` finishes, then stops it.
    static func finish(_ id: String, on stack: Stack, agents: [any Agent] = []) async throws -> WorkflowView {
        let worker = workerGroup(stack, agents: agents)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await worker.run() }
            let view = try await stack.waitUntilFinished(id)
            await worker.triggerGracefulShutdown()
            try await group.waitForAll()
            return view
        }
    }

    static func attempts(_ view: WorkflowView) -> [Double] {
        view.result?["steps"]?.arrayValue?.compactMap { $0["attempt"]?.numberValue } ?? []
    }

    @Test func aDrainedWorkerHandsItsActivityBackAtACheckpoint() async throws {
        try await Stack.run(workers: 0) { stack in
            let chain = HeldChain("drained", steps: 5, holdAt: 1)
            let id = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: chain.input)).view.id
            let first = Self.workerGroup(stack)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await first.run() }
                try await chain.waitUntilHeld()
                await first.triggerGracefulShutdown()
                try chain.release()  // step 1 ends, and its checkpoint hands the activity back
                try await group.waitForAll()  // the drained worker exits cleanly
            }
            let handedBack = try await stack.query(
                "SELECT count(*) AS n FROM workflow_events WHERE workflow_id = \(id) AND type = 'handed_back'")
            #expect(handedBack.first?["n"] == "1")
            #expect(try await stack.workflow(id).attempt == 2)  // dispatched again at once

            let view = try await Self.finish(id, on: stack)
            #expect(view.status == .completed)
            let attempts = Self.attempts(view)
            #expect(attempts.count == 5)
            #expect(attempts.first == 1)
            #expect(attempts.last == 2)
            #expect(attempts == attempts.sorted())
        }
    }

    /// A worker daemon (the debug build) serving `stack`, as a process that can be SIGKILLed.
    static func startWorkerProcess(
        _ stack: Stack, environment extra: [String: String] = [:]
    ) async throws
        -> ChildProcess
    {
        try await startWorkerProcess(queue: stack.queue, eventsQueue: stack.eventsQueue, environment: extra)
    }

    static func startWorkerProcess(
        queue: String, eventsQueue: String, environment extra: [String: String] = [:]
    ) async throws
        -> ChildProcess
    {
        let binary = SchedulerCrashTests.root.appendingPathComponent(".build/debug/baton-worker")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build it with 'swift build'")
        var environment = ProcessInfo.processInfo.environment
        environment["BATON_BROKER_URL"] = TestServices.brokerURL
        environment["BATON_QUEUE"] = queue
        environment["BATON_EVENTS_QUEUE"] = eventsQueue
        environment["BATON_LOG_LEVEL"] = "error"
        environment["BATON_WORKER_METRICS_PORT"] = "0"
        environment["BATON_TEST_HOOKS_FOLDER"] = HeldChain.folder.path
        environment.merge(extra) { $1 }
        return try await ChildProcess.start(
            binary.path,
            arguments: [
                "--config",
                SchedulerCrashTests.root.appendingPathComponent("config/dev/configuration_worker.yaml").path,
            ], environment: environment, output: .handed(output: .discarded, errors: .inherited))
    }

    @Test func aSIGKILLedWorkerIsReplacedFromItsLastCheckpoint() async throws {
        try await Stack.run(workers: 0) { stack in
            let process = try await Self.startWorkerProcess(stack)
            let chain = HeldChain("sigkill", steps: 5, holdAt: 2)
            let id = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: chain.input)).view.id
            // Steps 0 and 1 are checkpointed (each checkpoint is confirmed before the next
            // node starts), and step 2 waits for its hold file: the kill lands inside it.
            try await chain.waitUntilHeld()
            await process.kill()
            try chain.release()

            let view = try await Self.finish(id, on: stack)
            #expect(view.status == .completed)
            #expect(view.attempt == 2)
            let attempts = Self.attempts(view)
            #expect(attempts.count == 5)
            #expect(attempts.prefix(2) == [1, 1])  // the checkpointed steps were not run again
            #expect(attempts.last == 2)
            let checkpoints = try await stack.query(
                "SELECT count(*) AS n FROM workflow_events WHERE workflow_id = \(id) AND type = 'checkpointed' AND outcome = 'applied'"
            )
            #expect(checkpoints.first?["n"] == "5")
        }
    }

    /// W3's case: a worker is SIGKILLed while another one has been running for longer
    /// than the lease check. The broker hands the killed worker's command to that one,
    /// whose connection is older than the lease check, and the killed worker never said
    /// it reconnected: the next attempt starts on the redelivery report itself. Nothing
    /// else could start it within this test: the heartbeat timeout is 300 s and every
    /// heartbeat timer (the lease check is one) is held back for an hour.
    ///
    /// Both workers are running before the workflow is submitted, and the one the broker
    /// gave it to is killed as soon as its step is held: the kill must land within the
    /// killed worker's `command_hold_seconds` (20 s), or its command is already
    /// acknowledged and nothing is redelivered. Starting the second worker after the
    /// first had the command let a loaded CI machine pass that limit.
    @Test func aKilledWorkersActivityMovesAtOnceToAWorkerAlreadyRunning() async throws {
        try await Stack.run(workers: 0, brokerRecoveryGraceSeconds: 3_600) { stack in
            let workers = [try await Self.startWorkerProcess(stack), try await Self.startWorkerProcess(stack)]
            do {
                try await Self.killTheOneRunningIt(workers, stack)
            } catch {
                for worker in workers { await worker.kill() }
                throw error
            }
            for worker in workers { await worker.kill() }
        }
    }

    private static func killTheOneRunningIt(_ workers: [ChildProcess], _ stack: Stack) async throws {
        for worker in workers {
            // Each reports its status just before it opens its command connection.
            _ = try await Stack.waitForCount(
                stack.databaseURL,
                "SELECT count(*) AS n FROM workers WHERE id LIKE '%-\(worker.processIdentifier)-%'", atLeast: 1)
        }
        // Lease check: 5 s (two heartbeat intervals, at least 5 s); both connections are older.
        try await Task.sleep(for: .seconds(7))
        let options = WorkflowOptions(heartbeatIntervalSeconds: 1, heartbeatTimeoutSeconds: 300)
        let chain = HeldChain("moved", steps: 10, holdAt: 1)
        let id = try await stack.submit(
            SubmitWorkflowRequest(agent: "chain", input: chain.input, options: options)
        ).view.id
        try await chain.waitUntilHeld()
        // The step runs before the scheduler has stored the worker's report of the start.
        _ = try await Stack.waitForCount(
            stack.databaseURL,
            "SELECT count(*) AS n FROM workflow_events WHERE workflow_id = '\(id)' AND type = 'started' AND attempt = 1",
            atLeast: 1)
        let first = try await stack.query(
            "SELECT payload::text AS p FROM workflow_events WHERE workflow_id = \(id) AND type = 'started' AND attempt = 1"
        )
        let firstPayload = try #require(first.first?["p"])
        let doomed = try #require(workers.first { firstPayload.contains("-\($0.processIdentifier)-") })
        let survivor = try #require(workers.first { $0 !== doomed })
        await doomed.kill()
        try chain.release()

        let view = try await stack.waitUntilFinished(id, deadline: .seconds(90))
        #expect(view.status == .completed)
        #expect(view.attempt == 2)
        let attempts = Self.attempts(view)
        #expect(attempts.count == 10)
        #expect(attempts.first == 1)
        #expect(attempts.last == 2)
        #expect(attempts == attempts.sorted())  // attempt 2 went on from attempt 1's checkpoint
        let redelivered = try await stack.query(
            "SELECT payload::text AS p FROM workflow_events WHERE workflow_id = \(id) AND type = 'redelivered'")
        #expect(redelivered.count == 1)
        #expect(redelivered.first?["p"]?.contains("connection_age_s") == true)
        let started = try await stack.query(
            "SELECT payload::text AS p FROM workflow_events WHERE workflow_id = \(id) AND type = 'started' AND attempt = 2"
        )
        #expect(started.first?["p"]?.contains("-\(survivor.processIdentifier)-") == true)
    }

    @Test func aLongNodeOutlivesTheHeartbeatTimeout() async throws {
        try await Stack.run { stack in
            // One step half as long again as the heartbeat timeout, twelve heartbeats per
            // timeout: a loaded CI machine stalled a 3 s timeout with six beats per timeout.
            let options = WorkflowOptions(heartbeatIntervalSeconds: 0.5, heartbeatTimeoutSeconds: 6)
            let id = try await stack.submit(
                SubmitWorkflowRequest(agent: "chain", input: ["steps": 1, "sleep_ms": 9000], options: options)
            ).view.id
            let view = try await stack.waitUntilFinished(id)
            #expect(view.status == .completed)
            #expect(view.attempt == 1)  // heartbeats kept the one long step alive
        }
    }

    @Test func threeWorkersShareAHundredTasks() async throws {
        try await Stack.run(workers: 3, concurrency: 8) { stack in
            for index in 0..<100 {
                _ = try await stack.submit(SubmitWorkflowRequest(id: "share-\(index)", agent: "chain"))
            }
            let done = try await Stack.waitForCount(
                stack.databaseURL, "SELECT count(*) AS n FROM workflows WHERE status = 'completed'", atLeast: 100)
            #expect(done == 100)
            let workers = try await stack.query(
                "SELECT count(DISTINCT payload->>'worker') AS n FROM workflow_events WHERE type = 'started'")
            #expect(workers.first?["n"] == "3")
        }
    }
}
