import BatonAMQP
import BatonContracts
import Foundation
import Testing

/// Messages nobody can read go to `<queue>.dead` with the reason; the consumer keeps going.
@Suite struct DeadLetterTests {
    func waitForDeadLetter(_ queue: String, broker: AMQPConnection) async throws -> AMQPDelivery? {
        for _ in 0..<400 {
            if let delivery = try await broker.get(DeadLetter.queue(for: queue)) { return delivery }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    @Test func aMalformedCommandIsDeadLetteredAndTheWorkerGoesOn() async throws {
        try await Stack.run { stack in
            let broker = try await TestServices.broker()
            try await broker.enableConfirms()
            try await broker.publish([AMQPMessage(routingKey: stack.queue, body: Data("{not json".utf8))])
            let dead = try #require(try await waitForDeadLetter(stack.queue, broker: broker))
            #expect(dead.body == Data("{not json".utf8))
            #expect(DeadLetter.reason(of: dead)?.hasPrefix("malformed message: not valid JSON") == true)
            #expect(dead.headers["x-baton-source-queue"] == stack.queue)

            // The worker survived: a real workflow still completes.
            let submitted = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: ["steps": 1])).view
            #expect(try await stack.waitUntilFinished(submitted.id).status == .completed)
            await broker.close()
        }
    }

    @Test func aCommandOfAnUnknownVersionIsDeadLetteredNamingTheVersion() async throws {
        try await Stack.run { stack in
            let broker = try await TestServices.broker()
            try await broker.enableConfirms()
            let body = Data(#"{"version": 99, "type": "run_activity", "workflowId": "w"}"#.utf8)
            try await broker.publish([AMQPMessage(routingKey: stack.queue, body: body)])
            let dead = try #require(try await waitForDeadLetter(stack.queue, broker: broker))
            #expect(DeadLetter.reason(of: dead)?.contains("unsupported contract version 99") == true)
            await broker.close()
        }
    }

    @Test func aMalformedEventIsDeadLetteredByTheScheduler() async throws {
        try await Stack.run { stack in
            let broker = try await TestServices.broker()
            try await broker.enableConfirms()
            try await broker.publish([AMQPMessage(routingKey: stack.eventsQueue, body: Data(#"{"version": 1}"#.utf8))])
            let dead = try #require(try await waitForDeadLetter(stack.eventsQueue, broker: broker))
            #expect(DeadLetter.reason(of: dead) == "malformed message: message has no 'type' field")
            await broker.close()
        }
    }
}
