import BatonAMQP
import BatonContracts
import Foundation
import ServiceLifecycle
import Testing

@testable import BatonScheduler

/// Changing `event_partitions`: refused while a replica with the old count is live;
/// once none is, the new count is bound and the partitions above it are emptied (their
/// events applied or set aside) and deleted.
@Suite struct PartitionCountChangeTests {
    @Test func anotherCountIsRefusedWhileReplicasLiveThenRetiredPartitionsAreEmptiedAndDeleted() async throws {
        let databaseURL = try await TestServices.freshDatabase()
        let queue = TestServices.uniqueName("agents")
        let eventsQueue = queue + ".events"
        func configuration(_ partitions: Int) -> SchedulerConfiguration {
            SchedulerConfiguration(
                httpHost: "127.0.0.1", httpPort: 0, postgresURL: databaseURL, brokerURL: TestServices.brokerURL,
                queue: queue, eventsQueue: eventsQueue, heartbeatIntervalSeconds: 1, heartbeatTimeoutSeconds: 30,
                brokerRecoveryGraceSeconds: 1, eventPartitions: partitions, apiKeys: TestServices.configuredKeys)
        }
        let stack = Stack(baseURL: "", databaseURL: databaseURL, queue: queue, eventsQueue: eventsQueue)
        let four = ServiceGroup(
            configuration: .init(
                services: try await Scheduler.makeServices(
                    configuration: configuration(4), logger: TestServices.logger),
                logger: TestServices.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await four.run() }
            try await Stack.waitUntil("the first replica holds every queue") {
                try await stack.query("SELECT count(*) AS n FROM event_partition_leases").first?["n"] == "5"
            }
            do {
                _ = try await Scheduler.makeServices(configuration: configuration(2), logger: TestServices.logger)
                Issue.record("a second count was accepted while a replica with another is live")
            } catch let error as PartitionLeases.CountConflict {
                #expect("\(error)".contains("event_partitions is 2, but live scheduler replicas"))
                #expect("\(error)".contains("use 4"))
            }
            await four.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(try await stack.query("SELECT count(*) AS n FROM event_partition_leases").first?["n"] == "0")

        // An event left in partition 3 while no scheduler runs (for no known workflow:
        // consuming it sets it aside, which shows the retired queue was consumed).
        let broker = try await TestServices.broker()
        try await broker.enableConfirms()
        let stray = WorkerEvent(workflowId: "nobody", attempt: 1, workerId: "w", kind: .started)
        try await broker.publish([AMQPMessage(routingKey: "\(eventsQueue).3", body: stray.encoded())])

        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let two = ServiceGroup(
            configuration: .init(
                services: try await Scheduler.makeServices(
                    configuration: configuration(2), logger: TestServices.logger,
                    onServerRunning: { portContinuation.yield($0) })
                    + Stack.workerServices(count: 1, queue: queue, eventsQueue: eventsQueue, concurrency: 4)
                    .map(\.shutsDownGroupWhenDone),
                logger: TestServices.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await two.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            let running = Stack(
                baseURL: "http://127.0.0.1:\(port)", databaseURL: databaseURL, queue: queue, eventsQueue: eventsQueue)
            do {
                try await Stack.waitUntil("the retired partitions emptied and deleted") {
                    try await stack.query("SELECT count(*) AS n FROM event_queues_retiring").first?["n"] == "0"
                }
                let dead = try await waitForMessage(in: DeadLetter.queue(for: eventsQueue), broker: broker)
                #expect(try WorkerEvent.decode(dead.body).eventId == stray.eventId)
                for retired in [2, 3] {
                    let probe = try await TestServices.broker()
                    await #expect(throws: AMQPError.self) { try await probe.messageCount("\(eventsQueue).\(retired)") }
                    await probe.close()
                }
                // Every slot reaches a queue that is consumed: workflows in every partition complete.
                for index in 0..<6 {
                    _ = try await running.submit(
                        SubmitWorkflowRequest(id: "after-change-\(index)", agent: "chain", input: ["steps": 2]))
                }
                let done = try await Stack.waitForCount(
                    databaseURL, "SELECT count(*) AS n FROM workflows WHERE status = 'completed'", atLeast: 6)
                #expect(done == 6)
            } catch {
                await two.triggerGracefulShutdown()
                throw error
            }
            await two.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        await broker.close()
    }

    private func waitForMessage(in queue: String, broker: AMQPConnection) async throws -> AMQPDelivery {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let delivery = try await broker.get(queue) { return delivery }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("nothing arrived in \(queue)")
        throw CancellationError()
    }

}
