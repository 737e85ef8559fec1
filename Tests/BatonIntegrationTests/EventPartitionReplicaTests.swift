import BatonAMQP
import BatonContracts
import Foundation
import Logging
import ServiceLifecycle
import Testing

@testable import BatonScheduler

/// Three scheduler replicas on one database and one broker share the event partitions;
/// one stops in order, another dies without releasing, and the last takes over.
@Suite struct EventPartitionReplicaTests {
    static let partitions = 16
    static let queues = partitions + 1  // and the base queue

    @Test func replicasShareThePartitionsAndTakeOverFromOneThatStopsAndOneThatDies() async throws {
        let databaseURL = try await TestServices.freshDatabase()
        let queue = TestServices.uniqueName("agents")
        let eventsQueue = queue + ".events"
        let configuration = SchedulerConfiguration(
            httpHost: "127.0.0.1", httpPort: 0, postgresURL: databaseURL, postgresPoolSize: 4,
            brokerURL: TestServices.brokerURL, queue: queue, eventsQueue: eventsQueue, heartbeatIntervalSeconds: 1,
            heartbeatTimeoutSeconds: 30, brokerRecoveryGraceSeconds: 1, eventPartitions: Self.partitions,
            apiKeys: TestServices.configuredKeys)
        let names = ["replica-a", "replica-b", "replica-c"]
        let kills = names.map { _ in PartitionKillSwitch() }
        // Which replica listens where: submissions go to the one that stays.
        let (ports, portContinuation) = AsyncStream.makeStream(of: (name: String, port: Int).self)
        var groups: [ServiceGroup] = []
        for (name, kill) in zip(names, kills) {
            let services = try await Scheduler.makeServices(
                configuration: configuration, logger: TestServices.logger,
                onServerRunning: { portContinuation.yield((name, $0)) }, replica: name, kill: kill)
            groups.append(ServiceGroup(configuration: .init(services: services, logger: TestServices.logger)))
        }
        let workers = ServiceGroup(
            configuration: .init(
                services: Stack.workerServices(count: 2, queue: queue, eventsQueue: eventsQueue, concurrency: 8)
                    .map(\.shutsDownGroupWhenDone),
                logger: TestServices.logger))
        let stop = {
            for group in groups { await group.triggerGracefulShutdown() }
            await workers.triggerGracefulShutdown()
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for group in groups + [workers] { tasks.addTask { try await group.run() } }
            do {
                var iterator = ports.makeAsyncIterator()
                var url = ""
                for _ in names {
                    if let server = await iterator.next(), server.name == names[0] {
                        url = "http://127.0.0.1:\(server.port)"
                    }
                }
                let stack = Stack(baseURL: url, databaseURL: databaseURL, queue: queue, eventsQueue: eventsQueue)
                try await check(stack, groups: groups, kills: kills, names: names)
            } catch {
                await stop()
                throw error
            }
            await stop()
            try await tasks.waitForAll()
        }
    }

    private func check(
        _ stack: Stack, groups: [ServiceGroup], kills: [PartitionKillSwitch], names: [String]
    )
        async throws
    {
        // Every queue held, by exactly one replica (one lease row per queue), none above its share.
        let shares = try await waitForLeases(stack, owners: Set(names))
        #expect(shares.values.allSatisfy { $0 <= EventPartitions.fairShare(queues: Self.queues, liveReplicas: 3) })

        // One workflow per partition, so that every replica has events to apply.
        var ids: [String] = []
        var covered = Set<String>()
        for index in 0..<10_000 where covered.count < Self.partitions {
            let id = "part-\(index)"
            let partition = EventPartitions.queue(
                for: id, eventsQueue: stack.eventsQueue, partitions: Self.partitions)
            if covered.insert(partition).inserted { ids.append(id) }
        }
        let input: JSONValue = ["steps": 5, "sleep_ms": 700]
        for id in ids { _ = try await stack.submit(SubmitWorkflowRequest(id: id, agent: "chain", input: input)) }
        try await Stack.waitUntil("every replica applied events") {
            let rows = try await stack.query("SELECT id FROM scheduler_replicas WHERE applied > 0")
            return Set(rows.all.compactMap { $0["id"] }) == Set(names)
        }

        // Stopped in order: its partitions are released and taken by the two others.
        await groups[1].triggerGracefulShutdown()
        _ = try await waitForLeases(stack, owners: [names[0], names[2]])
        for index in 0..<8 {
            _ = try await stack.submit(SubmitWorkflowRequest(id: "after-stop-\(index)", agent: "chain", input: input))
        }

        // Killed: nothing released; its leases expire and the last replica takes them.
        kills[2].trip()
        _ = try await waitForLeases(stack, owners: [names[0]])
        for index in 0..<6 {
            _ = try await stack.submit(SubmitWorkflowRequest(id: "after-kill-\(index)", agent: "chain", input: input))
        }

        let total = ids.count + 14
        let done = try await Stack.waitForCount(
            stack.databaseURL, "SELECT count(*) AS n FROM workflows WHERE status = 'completed'", atLeast: total,
            deadline: .seconds(180))
        #expect(done == total)
        let perWorkflow = try await stack.query(
            """
            SELECT workflow_id,
                count(*) FILTER (WHERE type = 'completed' AND outcome = 'applied') AS completed,
                count(*) FILTER (WHERE type = 'dispatched') AS dispatched,
                count(*) FILTER (WHERE type = 'checkpointed') AS checkpoints,
                count(*) FILTER (WHERE type = 'checkpointed' AND outcome = 'applied') AS applied
            FROM workflow_events GROUP BY workflow_id
            """)
        #expect(perWorkflow.count == total)
        for row in perWorkflow.all {
            let id = row["workflow_id"] ?? ""
            #expect(row["completed"] == "1", "\(id)")
            #expect(row["applied"] == "5", "\(id)")
            // One attempt: each checkpoint recorded once, never applied twice.
            if row["dispatched"] == "1" { #expect(row["checkpoints"] == "5", "\(id)") }
        }
        let twice = try await stack.query(
            "SELECT event_id FROM workflow_events WHERE event_id IS NOT NULL GROUP BY event_id HAVING count(*) > 1")
        #expect(twice.isEmpty)
    }

    /// Waits until the live leases cover every queue and belong exactly to `owners`;
    /// returns how many each holds.
    private func waitForLeases(_ stack: Stack, owners: Set<String>) async throws -> [String: Int] {
        var shares: [String: Int] = [:]
        try await Stack.waitUntil("the leases held by \(owners.sorted())") {
            let rows = try await stack.query(
                "SELECT owner, count(*) AS n FROM event_partition_leases WHERE expires_at > now() GROUP BY owner")
            shares = Dictionary(
                uniqueKeysWithValues: rows.all.compactMap { row in
                    row["owner"].map { ($0, Int(row["n"] ?? "") ?? 0) }
                })
            // Held by all, and fairly: a replica that started first gives up what it holds
            // above its share only as the others' leases come in (the wait's deadline fails
            // a share that never converges).
            let fair = EventPartitions.fairShare(queues: Self.queues, liveReplicas: owners.count)
            return Set(shares.keys) == owners && shares.values.reduce(0, +) == Self.queues
                && shares.values.allSatisfy { $0 <= fair }
        }
        return shares
    }

}
