import BatonAMQP
import BatonContracts
import BatonFuzzMutations
import Foundation
import Testing

/// Issue: random and mutated event messages on the events queue. Every one the
/// decoder cannot read reaches `<events queue>.dead` byte for byte, with the
/// decoder's reason (which never repeats the lease token), and the scheduler still
/// applies a valid event afterwards.
@Suite struct DeadLetterFuzzTests {
    static let seed: UInt64 = 20_261_201
    static let messages = 80

    @Test func unreadableEventsAreDeadLetteredWithTheirReasonAndValidOnesStillApply() async throws {
        try await Stack.run(workers: 0) { stack in
            let submitted = try await stack.submit(
                SubmitWorkflowRequest(id: "dl-fuzz", agent: "chain", input: ["steps": 1]))
            #expect(submitted.status == 201)
            let broker = try await TestServices.broker()
            try await broker.enableConfirms()
            // No worker runs: take the attempt's command (and its lease token) off the queue.
            let run = try #require(try await stack.takeRunCommand(on: broker))
            let lease = try #require(run.leaseToken, "the command carries no lease token")

            let kinds: [WorkerEvent.Kind] = [
                .started, .heartbeat(ActivityProgress(node: "step_0", step: 0)),
                .checkpointed(Checkpoint(step: 1, nextNodes: [], state: ["steps": []])),
                .completed(output: ["ok": true]),
                .failed(ActivityFailure(kind: "agent_error", message: "boom", retryable: false)),
            ]
            let samples = try kinds.map {
                try JSONValue.parse(
                    WorkerEvent(
                        workflowId: "dl-fuzz", attempt: run.attempt, workerId: "fuzz", leaseToken: lease, kind: $0
                    )
                    .encoded(), limits: .message)
            }
            var random = SeededMutations(seed: Self.seed)
            var unreadable: [Data: String] = [:]
            var order: [Data] = []
            while order.count < Self.messages {
                let body = random.below(8) == 0 ? random.randomBytes() : random.mutate(random.element(of: samples))
                // Only messages the decoder refuses: a readable one could move the workflow on.
                guard unreadable[body] == nil else { continue }
                do throws(ContractError) {
                    _ = try WorkerEvent.decode(body)
                } catch {
                    unreadable[body] = error.description
                    order.append(body)
                }
            }
            try await broker.publish(order.map { AMQPMessage(routingKey: stack.eventsQueue, body: $0) })

            var dead = 0
            let deadline = ContinuousClock.now + .seconds(60)
            while dead < order.count, ContinuousClock.now < deadline {
                guard let letter = try await broker.get(DeadLetter.queue(for: stack.eventsQueue)) else {
                    try await Task.sleep(for: .milliseconds(50))
                    continue
                }
                try await broker.ack(letter.deliveryTag)
                dead += 1
                let reason = DeadLetter.reason(of: letter)
                #expect(reason != nil && reason?.isEmpty == false, "no reason on \(letter.body.prefix(200))")
                if let expected = unreadable[letter.body] {
                    #expect(reason == String(expected.prefix(4096)))
                } else {
                    Issue.record(
                        "dead letter that was not published: \(String(decoding: letter.body.prefix(200), as: UTF8.self))"
                    )
                }
                #expect(reason?.contains(lease) == false, "a dead-letter reason repeats the lease token")
                #expect(letter.headers["x-baton-source-queue"] == stack.eventsQueue)
            }
            #expect(dead == order.count, "\(dead) of \(order.count) unreadable events reached the dead-letter queue")

            // The consumer goes on: the attempt's real events still apply.
            let valid = [WorkerEvent.Kind.started, .completed(output: ["ok": true])].map {
                AMQPMessage(
                    routingKey: stack.eventsQueue,
                    body: WorkerEvent(
                        workflowId: "dl-fuzz", attempt: run.attempt, workerId: "fuzz", leaseToken: lease, kind: $0
                    ).encoded())
            }
            try await broker.publish(valid)
            #expect(try await stack.waitUntilFinished("dl-fuzz", deadline: .seconds(60)).status == .completed)
            // The attempt's secret is in no answer of the API.
            for path in ["/v1/workflows/dl-fuzz", "/v1/workflows/dl-fuzz/history", "/v1/workflows"] {
                let body = String(decoding: try await stack.get(path).body, as: UTF8.self)
                #expect(!body.contains(lease), "\(path) shows the lease token")
            }
            await broker.close()
        }
    }
}
