import BatonAMQP
import BatonConfiguration
import Testing

@testable import BatonScheduler

/// The pure parts of event partitioning: routing, fair shares, retired partitions.
@Suite struct EventPartitionsTests {
    @Test func aFairShareLeavesRoomForEveryQueueAndNoReplicaTakesMore() {
        #expect(EventPartitions.fairShare(queues: 17, liveReplicas: 3) == 6)
        #expect(EventPartitions.fairShare(queues: 17, liveReplicas: 1) == 17)
        #expect(EventPartitions.fairShare(queues: 17, liveReplicas: 17) == 1)
        #expect(EventPartitions.fairShare(queues: 17, liveReplicas: 40) == 1)
        #expect(EventPartitions.fairShare(queues: 0, liveReplicas: 3) == 0)
        #expect(EventPartitions.fairShare(queues: 5, liveReplicas: 0) == 5)
        for queues in 1...40 {
            for replicas in 1...12 {
                let share = EventPartitions.fairShare(queues: queues, liveReplicas: replicas)
                #expect(share * replicas >= queues)
                #expect((share - 1) * replicas < queues)
            }
        }
    }

    @Test func aReplicaAboveItsShareReleasesItsLastQueues() {
        #expect(EventPartitions.toRelease(active: ["e.3", "e.1", "e", "e.2"], share: 2) == ["e.2", "e.3"])
        #expect(EventPartitions.toRelease(active: ["e.1", "e"], share: 2).isEmpty)
        #expect(EventPartitions.toRelease(active: ["e.1"], share: 0) == ["e.1"])
    }

    @Test func everyPartitionGetsItsShareOfTheSlots() {
        for partitions in [1, 2, 3, 7, 16, 100, 255, 256] {
            var slots = [Int](repeating: 0, count: partitions)
            for slot in 0..<Topology.routingSlots {
                let partition = Topology.partition(ofSlot: slot, partitions: partitions)
                #expect((0..<partitions).contains(partition))
                slots[partition] += 1
            }
            #expect(slots.min() == Topology.routingSlots / partitions)
            #expect((slots.max() ?? 0) - (slots.min() ?? 0) <= 1)
        }
    }

    /// The slot is a stable hash: every replica and every restart routes a workflow alike.
    @Test func aWorkflowsSlotIsStableAndNamedInItsRoutingKey() {
        // A change of the hash or of the slot count would re-route the events of running workflows.
        let slot = EventPartitions.slot(for: "wf-1")
        #expect(slot == Int(StableHashReference.fnv1a("wf-1") % 256))
        #expect(EventPartitions.routingKey(for: "wf-1") == "slot.\(slot)")
        #expect(EventPartitions.queue(for: "wf-1", eventsQueue: "ev", partitions: 16) == "ev.\(slot % 16)")
        let spread = Set((0..<2000).map { EventPartitions.slot(for: "workflow-\($0)") })
        #expect(spread.count > 200)
    }

    @Test func theBaseQueueAndRetiredPartitionsAreSharedOutToo() {
        #expect(EventPartitions.queues(eventsQueue: "ev", partitions: 2, retiring: []) == ["ev", "ev.0", "ev.1"])
        #expect(
            EventPartitions.queues(eventsQueue: "ev", partitions: 2, retiring: ["ev.3", "ev.1", "ev.2"])
                == ["ev", "ev.0", "ev.1", "ev.2", "ev.3"])
        #expect(EventPartitions.retired(eventsQueue: "ev", previous: [4], current: 2) == ["ev.2", "ev.3"])
        #expect(EventPartitions.retired(eventsQueue: "ev", previous: [2], current: 4).isEmpty)
        #expect(
            EventPartitions.retired(eventsQueue: "ev", previous: [6, 3], current: 2) == [
                "ev.2", "ev.3", "ev.4", "ev.5",
            ])
    }

    @Test func thePartitionCountIsBoundedAndSetFromTheEnvironment() throws {
        for bad in [0, -1, 257] {
            do {
                try SchedulerConfiguration(eventPartitions: bad).validate(source: "scheduler.yaml")
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.problems.contains { $0.contains("event_partitions must be between 1 and 256") })
            }
        }
        try SchedulerConfiguration(eventPartitions: 256).validate(source: "scheduler.yaml")
        var configuration = SchedulerConfiguration()
        #expect(configuration.eventPartitions == 16)
        try configuration.apply(EnvironmentOverrides(["BATON_EVENT_PARTITIONS": "8"]))
        #expect(configuration.eventPartitions == 8)
    }
}

/// FNV-1a written out again, so that the test does not just call the code it checks.
private enum StableHashReference {
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
