/// The queues and exchanges Baton uses, and who declares them.
///
/// The scheduler declares everything shared (its broker user may configure Baton's
/// resources); a worker declares only its own exclusive control queue. So a worker's
/// broker user needs no right to configure — and thereby delete — a shared queue, and
/// it publishes only through two exchanges, never through the default exchange, which
/// would let it put a message on any queue (a forged command on `agents`):
///
/// | resource | kind | bound to |
/// |---|---|---|
/// | `agents` | queue | (default exchange: the scheduler's outbox relay) |
/// | `<events>` | queue, single active consumer | `<events>.in` with key `<events>` (worker status, events of commands without a routing key) |
/// | `<events>.<i>`, i < N | queues, single active consumer (event partitions) | `<events>.in` with keys `slot.<k>` for every slot k with k mod N = i |
/// | `<events>.in` | direct exchange | workers publish events and status here |
/// | `agents.control` | fanout exchange | each worker's `agents.control.<worker id>` |
/// | `agents.text` | direct exchange | each scheduler replica's exclusive `agents.text.<replica>`, with the id of each workflow someone follows there (transient model text) |
/// | `<queue>.dead` | queues | `baton.dead` with key `<queue>.dead` |
/// | `baton.dead` | direct exchange | dead letters from scheduler and workers |
///
/// A workflow's events go to one routing slot (a stable hash of its id, among
/// `routingSlots`), which the scheduler names in each command; slots, not workflows,
/// are bound to partitions, so a new partition count is a new set of bindings.
public enum Topology {
    /// Each events queue has a single active consumer: whichever scheduler replica
    /// consumes it, the broker delivers to one at a time, so each workflow's events are
    /// applied in the order its worker sent them — even if two replicas ever believed
    /// they held the same partition.
    public static let eventsQueueArguments: [String: AMQPArgument] = ["x-single-active-consumer": .bool(true)]

    /// Where workers publish events for `eventsQueue` (routing key: the queue's name,
    /// or the slot key their command names).
    public static func eventsExchange(for eventsQueue: String) -> String { "\(eventsQueue).in" }

    /// Where workers publish the text model calls generate (routing key: the workflow
    /// id): nothing durable, and dropped unless a replica follows that workflow.
    public static func textExchange(for commandQueue: String) -> String { "\(commandQueue).text" }

    /// A scheduler replica's own queue of model text, bound per followed workflow.
    public static func textQueue(for commandQueue: String, replica: String) -> String {
        "\(commandQueue).text.\(replica)"
    }

    /// Where dead letters go (routing key: the dead-letter queue's name).
    public static let deadLetterExchange = "baton.dead"

    /// Routing slots: fixed, so that a command's routing key never depends on the
    /// partition count. 256 is the largest partition count.
    public static let routingSlots = 256

    /// The routing key of events in `slot` (on the events exchange).
    public static func slotRoutingKey(_ slot: Int) -> String { "slot.\(slot)" }

    /// The partition a slot is bound to with `partitions` partitions.
    public static func partition(ofSlot slot: Int, partitions: Int) -> Int { slot % max(partitions, 1) }

    /// The queue of partition `index` of `eventsQueue`.
    public static func partitionQueue(_ eventsQueue: String, _ index: Int) -> String { "\(eventsQueue).\(index)" }

    /// Declares every shared queue, exchange and binding (the scheduler does, at start
    /// and on every reconnection). Idempotent; removes no binding of another partition
    /// count (`unbindSlots` does, once, when the count changes).
    public static func declareShared(
        on connection: AMQPConnection, commandQueue: String, eventsQueue: String, controlExchange: String,
        partitions: Int = 0, queues: SharedQueues = .classic
    ) async throws {
        try await connection.declareQueue(commandQueue, arguments: queues.arguments(for: commandQueue))
        try await connection.declareQueue(eventsQueue, arguments: queues.eventsArguments(for: eventsQueue))
        let exchange = eventsExchange(for: eventsQueue)
        try await connection.declareExchange(exchange, type: "direct")
        try await connection.bindQueue(eventsQueue, to: exchange, routingKey: eventsQueue)
        for index in 0..<max(partitions, 0) {
            try await declarePartition(eventsQueue, index, on: connection, queues: queues)
        }
        if partitions > 0 {
            for slot in 0..<routingSlots {
                let queue = partitionQueue(eventsQueue, partition(ofSlot: slot, partitions: partitions))
                try await connection.bindQueue(queue, to: exchange, routingKey: slotRoutingKey(slot))
            }
        }
        try await connection.declareExchange(controlExchange, type: "fanout")
        try await connection.declareExchange(textExchange(for: commandQueue), type: "direct")
        try await connection.declareExchange(deadLetterExchange, type: "direct")
        for source in [commandQueue, eventsQueue] {
            let dead = DeadLetter.queue(for: source)
            try await connection.declareQueue(dead, arguments: queues.deadLetterArguments)
            try await connection.bindQueue(dead, to: deadLetterExchange, routingKey: dead)
        }
    }

    /// A partition's queue; its dead letters go with the events queue's.
    private static func declarePartition(
        _ eventsQueue: String, _ index: Int, on connection: AMQPConnection, queues: SharedQueues
    ) async throws {
        try await connection.declareQueue(
            partitionQueue(eventsQueue, index), arguments: queues.eventsArguments(for: eventsQueue))
    }

    /// Removes the bindings of an earlier partition count that the current count does
    /// not have. Call it after `declareShared` bound the current ones: a slot is then
    /// never without a queue (its events would be refused as unroutable); for a moment
    /// it has two, and the duplicate copy is a no-op (event ids).
    public static func unbindSlots(
        on connection: AMQPConnection, eventsQueue: String, previous: Int, current: Int,
        queues: SharedQueues = .classic
    ) async throws {
        guard previous > 0, previous != current else { return }
        // Unbinding from a queue that is gone would close the channel (404); a queue
        // declared again here is empty, and emptied queues above `current` are deleted.
        for index in 0..<previous {
            try await declarePartition(eventsQueue, index, on: connection, queues: queues)
        }
        for slot in 0..<routingSlots {
            let old = partition(ofSlot: slot, partitions: previous)
            guard current <= 0 || old != partition(ofSlot: slot, partitions: current) else { continue }
            try await connection.unbindQueue(
                partitionQueue(eventsQueue, old), from: eventsExchange(for: eventsQueue),
                routingKey: slotRoutingKey(slot))
        }
    }
}
