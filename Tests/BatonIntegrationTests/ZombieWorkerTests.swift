import BatonAMQP
import BatonContracts
import Foundation
import Testing

/// The test plays the worker by hand: it takes a command, goes silent, and later
/// reports from an attempt that was replaced.
@Suite struct ZombieWorkerTests {
    func nextCommand(_ consumer: AMQPConnection) async throws -> RunActivity {
        for _ in 0..<600 {
            if let delivery = try await consumer.nextDelivery(timeout: .milliseconds(100)) {
                try await consumer.ack(delivery.deliveryTag)
                if case .runActivity(let activity) = try WorkerCommand.decode(delivery.body) { return activity }
            }
        }
        throw CancellationError()
    }

    @Test func aSilentWorkerTimesOutAndItsLateCompletionIsIgnored() async throws {
        try await Stack.run(workers: 0) { stack in
            let options = WorkflowOptions(
                retry: RetryPolicy(initialIntervalSeconds: 0, maximumAttempts: 3), heartbeatIntervalSeconds: 0.5,
                heartbeatTimeoutSeconds: 2)
            let id = try await stack.submit(SubmitWorkflowRequest(agent: "chain", options: options)).view.id
            let consumer = try await TestServices.broker()
            try await consumer.consume(stack.queue)
            let publisher = try await TestServices.broker()
            try await publisher.enableConfirms()
            var tokens: [Int: String] = [:]
            func report(_ attempt: Int, _ worker: String, _ kind: WorkerEvent.Kind) async throws {
                // A worker brings back the lease token of the command it received.
                let event = WorkerEvent(
                    workflowId: id, attempt: attempt, workerId: worker, leaseToken: tokens[attempt], kind: kind)
                try await publisher.publish([AMQPMessage(routingKey: stack.eventsQueue, body: event.encoded())])
            }

            let first = try await nextCommand(consumer)
            tokens[1] = first.leaseToken
            #expect(first.attempt == 1)
            #expect(first.checkpoint == nil)
            let checkpoint = Checkpoint(
                step: 1, nextNodes: ["step_1"], state: ["steps": [["node": "step_0", "attempt": 1]]])
            try await report(1, "zombie", .started)
            try await report(1, "zombie", .checkpointed(checkpoint))
            // Then silence: the heartbeat timeout (2 s) fires from the timers table.
            let second = try await nextCommand(consumer)
            tokens[2] = second.leaseToken
            #expect(second.attempt == 2)
            #expect(first.leaseToken != nil && second.leaseToken != first.leaseToken)
            #expect(second.checkpoint == checkpoint)  // resumes from the latest checkpoint

            try await report(1, "zombie", .completed(output: "from the zombie"))
            try await report(2, "w2", .started)
            try await report(2, "w2", .completed(output: "from attempt 2"))
            let view = try await stack.waitUntilFinished(id)
            #expect(view.status == .completed)
            #expect(view.attempt == 2)
            #expect(view.result == "from attempt 2")
            let history = try await stack.query(
                "SELECT type, attempt, outcome FROM workflow_events WHERE workflow_id = \(id) ORDER BY seq")
            let rows = history.all.map { "\($0["type"]!)/\($0["attempt"]!)/\($0["outcome"]!)" }
            #expect(rows.contains("timer_heartbeat/1/applied"))
            #expect(rows.contains("completed/1/ignored: stale_attempt"))
            #expect(rows.contains("completed/2/applied"))
            await consumer.close()
            await publisher.close()
        }
    }

    /// Issue #10 (11): anyone who can publish on the broker knows attempt numbers and
    /// worker ids (the API shows them); without the command's lease token, a forged
    /// `completed` or `interrupted` changes nothing.
    @Test func eventsWithoutTheLeaseTokenAreIgnored() async throws {
        try await Stack.run(workers: 0) { stack in
            let id = try await stack.submit(SubmitWorkflowRequest(agent: "chain")).view.id
            let consumer = try await TestServices.broker()
            try await consumer.consume(stack.queue)
            let command = try await nextCommand(consumer)
            let publisher = try await TestServices.broker()
            try await publisher.enableConfirms()
            for (token, kind) in [
                (nil, WorkerEvent.Kind.completed(output: "forged")),
                ("guessed", .interrupted(InterruptRequest(title: "forged", question: "forged question"))),
                (command.leaseToken, .started),
            ] as [(String?, WorkerEvent.Kind)] {
                let event = WorkerEvent(workflowId: id, attempt: 1, workerId: "w", leaseToken: token, kind: kind)
                try await publisher.publish([AMQPMessage(routingKey: stack.eventsQueue, body: event.encoded())])
            }
            _ = try await Stack.waitForCount(
                stack.databaseURL,
                "SELECT count(*) AS n FROM workflow_events WHERE workflow_id = '\(id)' AND type = 'started'",
                atLeast: 1)
            let view = try await stack.workflow(id)
            #expect(view.status == .running)
            #expect(view.result == nil && view.interrupt == nil)
            let ignored = try await stack.query(
                "SELECT count(*) AS n FROM workflow_events WHERE workflow_id = \(id) AND outcome = 'ignored: bad_lease_token'"
            )
            #expect(ignored.first?["n"] == "2")
            // The token never shows in the history.
            let history = try await stack.query(
                "SELECT payload::text AS p FROM workflow_events WHERE workflow_id = \(id)")
            #expect(!history.all.contains { ($0["p"] ?? "").contains(command.leaseToken ?? "-") })
            await consumer.close()
            await publisher.close()
        }
    }

    @Test func aRedeliveredCommandIsHandedBackAndResumedByTheNextAttempt() async throws {
        try await Stack.run(workers: 0) { stack in
            let id = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: ["steps": 3])).view.id
            // A worker takes the command, checkpoints one step and dies (its connection closes).
            let doomed = try await TestServices.broker()
            try await doomed.setPrefetch(1)
            try await doomed.consume(stack.queue)
            var delivery: AMQPDelivery?
            for _ in 0..<600 where delivery == nil {
                delivery = try await doomed.nextDelivery(timeout: .milliseconds(100))
            }
            let publisher = try await TestServices.broker()
            try await publisher.enableConfirms()
            let checkpoint = Checkpoint(
                step: 1, nextNodes: ["step_1"], state: ["steps": [["node": "step_0", "attempt": 1]]])
            guard case .runActivity(let command) = try WorkerCommand.decode(try #require(delivery).body) else {
                Issue.record("expected a run command")
                return
            }
            for kind: WorkerEvent.Kind in [.started, .checkpointed(checkpoint)] {
                let event = WorkerEvent(
                    workflowId: id, attempt: 1, workerId: "doomed", leaseToken: command.leaseToken, kind: kind)
                try await publisher.publish([AMQPMessage(routingKey: stack.eventsQueue, body: event.encoded())])
            }
            _ = try await Stack.waitForCount(
                stack.databaseURL, "SELECT count(*) AS n FROM checkpoints WHERE workflow_id = '\(id)'", atLeast: 1)
            await doomed.close()

            // A real worker gets the redelivered command, hands it back, and runs attempt 2 from step 1.
            try await withThrowingTaskGroup(of: Void.self) { group in
                let worker = Stack.workerServices(
                    count: 1, queue: stack.queue, eventsQueue: stack.eventsQueue, concurrency: 2)[0]
                group.addTask { try await worker.run() }
                let view = try await stack.waitUntilFinished(id)
                group.cancelAll()
                #expect(view.status == .completed)
                #expect(view.attempt == 2)
                let attempts = view.result?["steps"]?.arrayValue?.compactMap { $0["attempt"]?.numberValue }
                #expect(attempts == [1, 2, 2])  // step_0 was not run again
            }
            let history = try await stack.query(
                "SELECT type FROM workflow_events WHERE workflow_id = \(id) AND type = 'redelivered'")
            #expect(history.count == 1)
            await publisher.close()
        }
    }
}
