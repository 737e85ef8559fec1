import BatonAMQP
import BatonContracts
import Foundation
import Testing

/// `queue_type: quorum`: the shared queues are quorum queues (replicated over a
/// RabbitMQ cluster), a killed worker's command still comes back at once, and a message
/// delivered past the delivery limit is dead-lettered, never dropped.
@Suite struct QuorumQueueTests {
    static func queueTypes(_ prefix: String) async throws -> [String: String] {
        let listed = try await BrokerOutageTests.rabbitmqctl([
            "list_queues", "-q", "--no-table-headers", "name", "type",
        ])
        var types: [String: String] = [:]
        for line in listed.split(separator: "\n") {
            let fields = line.split(whereSeparator: \.isWhitespace).map(String.init)
            if fields.count == 2, fields[0].hasPrefix(prefix) { types[fields[0]] = fields[1] }
        }
        return types
    }

    @Test func aKilledWorkersCommandComesBackFromAQuorumQueue() async throws {
        try await Stack.run(workers: 0, eventPartitions: 2, queues: SharedQueues(kind: .quorum)) { stack in
            let types = try await Self.queueTypes(stack.queue)
            #expect(types[stack.queue] == "quorum")
            #expect(types[stack.eventsQueue] == "quorum")
            #expect(types[stack.eventsQueue + ".0"] == "quorum")
            #expect(types[stack.queue + ".dead"] == "quorum")
            let process = try await WorkerLifecycleTests.startWorkerProcess(stack)
            let chain = HeldChain("quorum", steps: 4, holdAt: 2)
            let id = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: chain.input)).view.id
            try await chain.waitUntilHeld()
            await process.kill()
            try chain.release()
            let view = try await WorkerLifecycleTests.finish(id, on: stack)
            #expect(view.status == .completed)
            #expect(view.attempt == 2)
            #expect(WorkerLifecycleTests.attempts(view).prefix(2) == [1, 1])
            let redelivered = try await stack.query(
                "SELECT count(*) AS n FROM workflow_events WHERE workflow_id = \(id) AND type = 'redelivered'")
            #expect(redelivered.first?["n"] == "1")  // the broker gave it back, not a timeout
        }
    }

    @Test func aMessageDeliveredPastTheLimitIsDeadLetteredNotDropped() async throws {
        try await Stack.run(workers: 0, queues: SharedQueues(kind: .quorum, deliveryLimit: 2)) { stack in
            let broker = try await TestServices.broker()
            try await broker.enableConfirms()
            try await broker.publish([AMQPMessage(routingKey: stack.queue, body: Data("{\"poison\":true}".utf8))])
            try await broker.setPrefetch(1)
            try await broker.consume(stack.queue)
            var deliveries = 0
            let end = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < end, try await broker.messageCount(stack.queue + ".dead") == 0 {
                guard let delivery = try await broker.nextDelivery(timeout: .milliseconds(200)) else { continue }
                deliveries += 1
                try await broker.reject(delivery.deliveryTag, requeue: true)  // a worker that dies with it
            }
            #expect(deliveries == 3)  // the first delivery and two more: the limit
            let dead = try #require(try await broker.get(stack.queue + ".dead"))
            #expect(dead.body == Data("{\"poison\":true}".utf8))
            #expect(try await broker.messageCount(stack.queue) == 0)
            await broker.close()
        }
    }

    /// A queue's type cannot change in place: a scheduler told `quorum` that finds the
    /// classic queue of an earlier start stops, and says what to do.
    @Test func aSchedulerThatFindsAClassicQueueSaysHowToSwitch() async throws {
        let queue = TestServices.uniqueName("agents")
        let broker = try await TestServices.broker()
        try await broker.declareQueue(queue)
        await broker.close()
        do {
            try await Stack.run(workers: 0, queue: queue, queues: SharedQueues(kind: .quorum)) { _ in
                Issue.record("the scheduler started")
            }
        } catch {
            #expect("\(error)".contains("inequivalent arg 'x-"))
            #expect("\(error)".contains("cannot change in place"))
        }
    }
}
