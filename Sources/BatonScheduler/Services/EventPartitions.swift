import BatonAMQP
import BatonContracts

/// Which events queue a workflow's events take, and how many queues a replica takes.
///
/// Pure: the lease service and the workflow store decide with these, and the tests
/// check them without a broker.
enum EventPartitions {
    /// A workflow's routing slot: a hash stable across processes and builds, so every
    /// scheduler replica (and every restart) names the same slot for a workflow.
    static func slot(for workflowId: String) -> Int {
        Int(StableHash.fnv1a(workflowId) % UInt64(Topology.routingSlots))
    }

    /// The routing key the scheduler stamps on a workflow's commands.
    static func routingKey(for workflowId: String) -> String { Topology.slotRoutingKey(slot(for: workflowId)) }

    /// The partition queue a workflow's events land in.
    static func queue(for workflowId: String, eventsQueue: String, partitions: Int) -> String {
        Topology.partitionQueue(eventsQueue, Topology.partition(ofSlot: slot(for: workflowId), partitions: partitions))
    }

    /// Every queue the replicas share out: the base queue (worker status, events of
    /// commands without a routing key), the partitions, and retired partitions still
    /// being emptied.
    static func queues(eventsQueue: String, partitions: Int, retiring: [String]) -> [String] {
        let current = (0..<partitions).map { Topology.partitionQueue(eventsQueue, $0) }
        return [eventsQueue] + current + retiring.filter { !current.contains($0) && $0 != eventsQueue }.sorted()
    }

    /// The partitions above a new count, which are drained and then deleted.
    static func retired(eventsQueue: String, previous: [Int], current: Int) -> [String] {
        let indices = Set(previous.flatMap { $0 > current ? Array(current..<$0) : [] })
        return indices.sorted().map { Topology.partitionQueue(eventsQueue, $0) }
    }

    /// The most queues one replica should hold: ceil(queues / live replicas). Every
    /// queue then has room with some replica, and none holds more than its share.
    static func fairShare(queues: Int, liveReplicas: Int) -> Int {
        guard queues > 0 else { return 0 }
        let replicas = max(liveReplicas, 1)
        return (queues + replicas - 1) / replicas
    }

    /// Which of the queues a replica actively consumes it should give up to come down
    /// to `share`: the last ones in order, so that a replica's choice is stable.
    static func toRelease(active: [String], share: Int) -> [String] {
        guard active.count > share else { return [] }
        return Array(active.sorted().suffix(active.count - max(share, 0)))
    }
}
