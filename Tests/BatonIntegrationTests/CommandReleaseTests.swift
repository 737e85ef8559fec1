import BatonContracts
import Foundation
import Testing

/// Activities longer than the broker's consumer timeout. The broker takes back a
/// delivery held unacknowledged for longer (RabbitMQ: 30 minutes by default, 30 s for
/// the tests' broker, looked at once a minute), so a worker that held a command for the
/// whole of its activity saw it run a second time on another worker. A command is now
/// released (acknowledged) after `command_hold_seconds`, and the slot stays taken
/// (`CommandSlots`).
@Suite struct CommandReleaseTests {
    /// The test broker's `consumer_timeout`, in seconds.
    static func brokerConsumerTimeout() async throws -> Int {
        let output = try await BrokerOutageTests.rabbitmqctl(["eval", "application:get_env(rabbit, consumer_timeout)."])
        let digits = output.filter(\.isNumber)
        return (Int(digits) ?? Int.max) / 1000
    }

    static func events(_ type: String, of id: String, on stack: Stack) async throws -> Int {
        let rows = try await stack.query(
            "SELECT count(*) AS n FROM workflow_events WHERE workflow_id = \(id) AND type = \(type)")
        return Int(rows.first?["n"] ?? "") ?? -1
    }

    @Test func anActivityLongerThanTheBrokersConsumerTimeoutRunsOnce() async throws {
        let timeout = try await Self.brokerConsumerTimeout()
        try #require(
            timeout <= 30,
            "the test broker's consumer_timeout is \(timeout) s, not 30: restart it (scripts/services.sh stop; scripts/services.sh start)"
        )
        try await Stack.run(workers: 2) { stack in
            let chain = HeldChain("outlived", steps: 3, holdAt: 1)
            let id = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: chain.input)).view.id
            try await chain.waitUntilHeld()
            // Past the broker's first look at the delivery (a minute after the worker's
            // channel opened, just before the delivery) with the delivery older than its
            // timeout: held all along, the command would be back at the other worker.
            try await Task.sleep(for: .seconds(75))
            try chain.release()
            let view = try await stack.waitUntilFinished(id)
            #expect(view.status == .completed)
            #expect(view.attempt == 1)
            #expect(chain.executions() == ["step_0 1", "step_1 1", "step_2 1"])
            #expect(try await Self.events("redelivered", of: id, on: stack) == 0)
        }
    }

    /// A released command is not redelivered when its worker dies: the scheduler's
    /// heartbeat timeout finds the dead worker, and the next attempt goes on from the
    /// last checkpoint.
    @Test func aWorkerKilledAfterReleasingItsCommandIsFoundByItsMissedHeartbeats() async throws {
        try await Stack.run(workers: 0) { stack in
            let process = try await WorkerLifecycleTests.startWorkerProcess(
                stack, environment: ["BATON_COMMAND_HOLD_SECONDS": "1"])
            let chain = HeldChain("released", steps: 4, holdAt: 2)
            let options = WorkflowOptions(heartbeatIntervalSeconds: 1, heartbeatTimeoutSeconds: 5)
            let id = try await stack.submit(
                SubmitWorkflowRequest(agent: "chain", input: chain.input, options: options)
            ).view.id
            try await chain.waitUntilHeld()
            try await Stack.waitUntil("the worker to release the command") {
                let listed = try await BrokerOutageTests.rabbitmqctl([
                    "list_queues", "-q", "--no-table-headers", "name", "messages_unacknowledged",
                ])
                return listed.split(separator: "\n").contains { line in
                    let fields = line.split(whereSeparator: \.isWhitespace)
                    return fields.first.map(String.init) == stack.queue && fields.last == "0"
                }
            }
            await process.kill()
            try chain.release()
            let view = try await WorkerLifecycleTests.finish(id, on: stack)
            #expect(view.status == .completed)
            #expect(view.attempt == 2)
            let attempts = WorkerLifecycleTests.attempts(view)
            #expect(attempts.prefix(2) == [1, 1])  // checkpointed before the kill: not run again
            #expect(attempts.last == 2)
            #expect(try await Self.events("redelivered", of: id, on: stack) == 0)
            #expect(try await Self.events("timer_heartbeat", of: id, on: stack) >= 1)
        }
    }
}
