import BatonAMQP
import BatonContracts
import ChildProcesses
import Foundation
import Testing

/// Issue #14: a worker written in another language from docs/contracts alone
/// (examples/python-worker/worker.py, pika + jsonschema) runs Baton's workflows beside, or
/// instead of, the Swift workers: the scheduler accepts submissions for the agent it reports,
/// it heartbeats and checkpoints every step, and a workflow whose Python worker is killed
/// resumes from its checkpoint on the next worker.
@Suite(.serialized) struct PythonWorkerTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let script = root.appendingPathComponent("examples/python-worker/worker.py").path
    static let python = "/usr/bin/python3"

    /// A worker.py process on the stack's broker and queues.
    struct PythonWorker {
        let process: ChildProcess
        let id: String
        let log: String

        static func start(
            _ stack: Stack, id: String = TestServices.uniqueName("py"), concurrency: Int = 4,
            commandHoldSeconds: Double = TestServices.commandHoldSeconds
        ) async throws -> PythonWorker {
            guard FileManager.default.isExecutableFile(atPath: python) else {
                Issue.record("\(python) is missing: the Python worker needs python3-pika and python3-jsonschema")
                throw CancellationError()
            }
            var environment = ProcessInfo.processInfo.environment
            environment["PYTHONDONTWRITEBYTECODE"] = "1"  // no __pycache__ in the repository
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("\(id).log").path
            let process = try await ChildProcess.start(
                python,
                arguments: [
                    "-B", script, "--broker-url", TestServices.brokerURL, "--queue", stack.queue,
                    "--events-queue", stack.eventsQueue, "--concurrency", String(concurrency),
                    "--command-hold-seconds", String(commandHoldSeconds), "--worker-id", id,
                    // The chain's exec_log and hold_at/hold_file test hooks, as the Swift workers of the tests have them.
                    "--test-hooks-folder", HeldChain.folder.path,
                ],
                environment: environment, output: .handed(output: .discarded, errors: .file(log)))
            let worker = PythonWorker(process: process, id: id, log: log)
            // Registered: its worker_status reached the scheduler, which now accepts chain submissions.
            let registered = try await Stack.waitForCount(
                stack.databaseURL,
                "SELECT count(*) AS n FROM workers WHERE id = '\(id)' AND NOT stopping AND descriptors IS NOT NULL",
                atLeast: 1, deadline: .seconds(60))
            if registered < 1 { Issue.record("the Python worker did not report; its log:\n\(worker.output)") }
            return worker
        }

        var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    }

    /// An exclusive queue bound to the events exchange with every key workers publish with:
    /// a copy of every event and status report.
    struct EventsTap {
        let broker: AMQPConnection
        let queue: String

        static func open(_ stack: Stack) async throws -> EventsTap {
            let broker = try await TestServices.broker()
            let queue = TestServices.uniqueName("events-tap")
            try await broker.declareExclusiveQueue(queue)
            let exchange = Topology.eventsExchange(for: stack.eventsQueue)
            for key in [stack.eventsQueue] + (0..<Topology.routingSlots).map(Topology.slotRoutingKey) {
                try await broker.bindQueue(queue, to: exchange, routingKey: key)
            }
            return EventsTap(broker: broker, queue: queue)
        }

        /// Everything copied so far, each as the scheduler decodes it.
        func drain() async throws -> [EventsQueueMessage] {
            var messages: [EventsQueueMessage] = []
            while let delivery = try await broker.get(queue) {
                try await broker.ack(delivery.deliveryTag)
                do {
                    messages.append(try EventsQueueMessage.decode(delivery.body))
                } catch {
                    Issue.record(
                        "the scheduler could not read a message: \(error): \(String(decoding: delivery.body, as: UTF8.self))"
                    )
                }
            }
            return messages
        }
    }

    static func count(_ type: String, of id: String, attempt: Int? = nil, on stack: Stack) async throws -> Int {
        // Any attempt when none is named (attempts start at 1).
        let rows = try await stack.query(
            """
            SELECT count(*) AS n FROM workflow_events
            WHERE workflow_id = \(id) AND type = \(type) AND outcome = 'applied'
                AND (\(attempt ?? 0) = 0 OR attempt = \(attempt ?? 0))
            """)
        return Int(rows.first?["n"] ?? "") ?? -1
    }

    static func records(_ result: JSONValue?) -> [String] {
        (result?["steps"]?.arrayValue ?? []).map { step in
            "\(step["node"]?.stringValue ?? "?") \(step["attempt"]?.numberValue.map { Int($0) } ?? 0)"
        }
    }

    @Test func aPythonWorkerAloneRunsWorkflowsWithHeartbeatsAndACheckpointPerStep() async throws {
        try await Stack.run(workers: 0) { stack in
            let worker = try await PythonWorker.start(stack)
            let tap = try await EventsTap.open(stack)
            // Heartbeats every half second: each run of 4 steps of 0.7 s sends several.
            let options = WorkflowOptions(heartbeatIntervalSeconds: 0.5, heartbeatTimeoutSeconds: 10)
            var ids: [String] = []
            for index in 0..<3 {
                let (status, view) = try await stack.submit(
                    SubmitWorkflowRequest(
                        id: "py-chain-\(index)", agent: "chain", input: ["steps": 4, "sleep_ms": 700], options: options)
                )
                #expect(status == 201)
                ids.append(view.id)
            }
            // An agent no live worker serves is refused: the Python worker's report is what the scheduler knows.
            let refused = try await stack.post(#"/v1/workflows"#, json: #"{"agent": "operations_analysis"}"#)
            #expect(refused.status == 400, "\(String(decoding: refused.body, as: UTF8.self))")
            for id in ids {
                let view = try await stack.waitUntilFinished(id)
                #expect(view.status == .completed, "\(id): \(view.error.map { "\($0)" } ?? "")")
                #expect(view.attempt == 1)
                #expect(view.checkpointStep == 4)
                #expect(Self.records(view.result) == (0..<4).map { "step_\($0) 1" })
                #expect(view.progress?.node?.hasPrefix("step_") == true, "heartbeats carried no progress")
                #expect(try await Self.count("started", of: id, on: stack) == 1)
                #expect(try await Self.count("checkpointed", of: id, on: stack) == 4)
                #expect(try await Self.count("completed", of: id, on: stack) == 1)
            }
            let messages = try await tap.drain()
            for id in ids {
                let events = messages.compactMap { message -> WorkerEvent? in
                    guard case .event(let event) = message, event.workflowId == id else { return nil }
                    return event
                }
                #expect(events.allSatisfy { $0.workerId == worker.id })
                let heartbeats = events.filter { if case .heartbeat = $0.kind { true } else { false } }
                #expect(heartbeats.count >= 1, "\(id): no heartbeat during 4 steps of 0.7 s")
                #expect(events.first?.type == "started")
                #expect(events.last?.type == "completed")
                let steps = events.compactMap { event -> Int? in
                    if case .checkpointed(let checkpoint) = event.kind { return checkpoint.step }
                    return nil
                }
                #expect(steps == [1, 2, 3, 4])
            }
            let statuses = messages.compactMap { message -> WorkerStatus? in
                if case .workerStatus(let status) = message { return status }
                return nil
            }
            #expect(statuses.allSatisfy { $0.workerId == worker.id && $0.agents == ["chain"] })
            await tap.broker.close()
            // SIGTERM drains: it says it stops, and exits 0.
            await worker.process.terminate()
            #expect(try await worker.process.exitStatus() == 0, "\(worker.output)")
            _ = try await Stack.waitForCount(
                stack.databaseURL, "SELECT count(*) AS n FROM workers WHERE id = '\(worker.id)' AND stopping",
                atLeast: 1)
        }
    }

    @Test func aKilledPythonWorkersWorkflowResumesFromItsCheckpointOnTheNext() async throws {
        try await Stack.run(workers: 0) { stack in
            let first = try await PythonWorker.start(stack)
            let chain = HeldChain("py-killed", steps: 6, holdAt: 3)
            let (status, view) = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: chain.input))
            #expect(status == 201)
            let id = view.id
            // Inside step_3: checkpoints 1 to 3 are published, and confirmed, before it starts.
            try await chain.waitUntilHeld()
            _ = try await Stack.waitForCount(
                stack.databaseURL,
                "SELECT coalesce(max(step), 0) AS n FROM checkpoints WHERE workflow_id = '\(id)'", atLeast: 3)
            await first.process.kill()
            let second = try await PythonWorker.start(stack)
            try chain.release()
            let done = try await stack.waitUntilFinished(id)
            #expect(done.status == .completed, "\(done.error.map { "\($0)" } ?? "")\n\(second.output)")
            #expect(done.attempt == 2)
            // Steps 0-2 are not run again; the step in flight is.
            #expect(
                Self.records(done.result) == ["step_0 1", "step_1 1", "step_2 1", "step_3 2", "step_4 2", "step_5 2"])
            #expect(
                chain.executions() == [
                    "step_0 1", "step_1 1", "step_2 1", "step_3 1", "step_3 2", "step_4 2", "step_5 2",
                ])
            let resumed = try await stack.query(
                """
                SELECT payload->>'resume_from_step' AS n FROM workflow_events
                WHERE workflow_id = \(id) AND type = 'dispatched' AND attempt = 2
                """)
            #expect(resumed.first?["n"] == "3")
            #expect(try await Self.count("checkpointed", of: id, attempt: 2, on: stack) == 3)
            #expect(try await Self.count("started", of: id, attempt: 2, on: stack) == 1)
            await second.process.terminate()
        }
    }

    /// A Python worker releases a command held for command_hold_seconds, as the Swift one
    /// does: killed after that, it is found by its missed heartbeats (no redelivery), and
    /// the next attempt resumes from the last checkpoint.
    @Test func aPythonWorkerKilledAfterReleasingItsCommandIsFoundByItsMissedHeartbeats() async throws {
        try await Stack.run(workers: 0) { stack in
            let first = try await PythonWorker.start(stack, commandHoldSeconds: 1)
            let chain = HeldChain("py-released", steps: 4, holdAt: 2)
            let options = WorkflowOptions(heartbeatIntervalSeconds: 1, heartbeatTimeoutSeconds: 5)
            let id = try await stack.submit(
                SubmitWorkflowRequest(agent: "chain", input: chain.input, options: options)
            ).view.id
            try await chain.waitUntilHeld()
            try await Stack.waitUntil("the Python worker to release the command") {
                first.output.contains(
                    "acknowledged the commands of activities running longer than command_hold_seconds")
            }
            await first.process.kill()
            let second = try await PythonWorker.start(stack)
            try chain.release()
            let done = try await stack.waitUntilFinished(id)
            #expect(done.status == .completed)
            #expect(Self.records(done.result) == ["step_0 1", "step_1 1", "step_2 2", "step_3 2"])
            #expect(try await Self.count("redelivered", of: id, on: stack) == 0)
            await second.process.terminate()
        }
    }

    /// Beside a Swift worker on the same queue: both take commands, every workflow
    /// completes, and the results do not depend on which worker ran them.
    @Test func aPythonWorkerBesideASwiftWorkerCompletesTheSameWorkflows() async throws {
        try await Stack.run(workers: 1, concurrency: 4) { stack in
            let worker = try await PythonWorker.start(stack)
            var ids: [String] = []
            for index in 0..<12 {
                ids.append(
                    try await stack.submit(
                        SubmitWorkflowRequest(
                            id: "mixed-\(index)", agent: "chain",
                            input: ["steps": 3, "sleep_ms": 300, "payload_bytes": 24])
                    ).view.id)
            }
            var results: Set<JSONValue> = []
            for id in ids {
                let view = try await stack.waitUntilFinished(id)
                #expect(view.status == .completed, "\(id)")
                if let result = view.result { results.insert(result) }
            }
            #expect(results.count == 1, "the Swift and the Python chain made different results")
            let byPython = try await Stack.query(
                stack.databaseURL,
                """
                SELECT count(*) AS n FROM workflow_events
                WHERE type = 'started' AND payload->>'worker' = \(worker.id)
                """)
            #expect((Int(byPython.first?["n"] ?? "") ?? 0) > 0, "the Python worker ran none of the 12")
            await worker.process.terminate()
        }
    }
}
