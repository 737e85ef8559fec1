/// How the scheduler declares the shared queues (`Topology`): RabbitMQ's classic queues,
/// which live on one node, or quorum queues, replicated over a cluster by Raft.
///
/// A quorum queue counts each message's deliveries: past `deliveryLimit` (a command whose
/// workers keep dying, an event the scheduler cannot apply) the broker dead-letters it to
/// `<queue>.dead`, at least once — it waits until the dead-letter queue has the message
/// before it lets go of it, and refuses new messages while it cannot (`reject-publish`,
/// which publishers see as a refused confirm) — instead of dropping it. Classic queues
/// have no delivery limit in RabbitMQ 3.10.
public struct SharedQueues: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case classic
        case quorum
    }

    public var kind: Kind
    /// Deliveries of one message before a quorum queue dead-letters it.
    public var deliveryLimit: Int

    public static let classic = SharedQueues(kind: .classic)

    public init(kind: Kind, deliveryLimit: Int = 20) {
        self.kind = kind
        self.deliveryLimit = deliveryLimit
    }

    /// The arguments of `queue`, a queue Baton consumes (commands or events).
    public func arguments(for queue: String) -> [String: AMQPArgument] {
        guard kind == .quorum else { return [:] }
        return [
            "x-queue-type": .string("quorum"),
            "x-delivery-limit": .int(Int64(deliveryLimit)),
            "x-dead-letter-exchange": .string(Topology.deadLetterExchange),
            "x-dead-letter-routing-key": .string(DeadLetter.queue(for: queue)),
            "x-dead-letter-strategy": .string("at-least-once"),
            "x-overflow": .string("reject-publish"),
        ]
    }

    /// The arguments of an events queue or partition: one consumer at a time, and
    /// dead letters with the events queue's.
    public func eventsArguments(for eventsQueue: String) -> [String: AMQPArgument] {
        Topology.eventsQueueArguments.merging(arguments(for: eventsQueue)) { $1 }
    }

    /// The arguments of a dead-letter queue: nothing consumes it but an operator.
    public var deadLetterArguments: [String: AMQPArgument] {
        kind == .quorum ? ["x-queue-type": .string("quorum")] : [:]
    }
}
