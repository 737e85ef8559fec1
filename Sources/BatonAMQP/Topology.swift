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
/// | `<events>` | queue, single active consumer | `<events>.in` with key `<events>` |
/// | `<events>.in` | direct exchange | workers publish events and status here |
/// | `agents.control` | fanout exchange | each worker's `agents.control.<worker id>` |
/// | `<queue>.dead` | queues | `baton.dead` with key `<queue>.dead` |
/// | `baton.dead` | direct exchange | dead letters from scheduler and workers |
public enum Topology {
    /// The events queue has a single active consumer: with several scheduler replicas
    /// the broker delivers to one at a time and fails over when it goes away, so each
    /// workflow's events are applied in the order its worker sent them.
    public static let eventsQueueArguments: [String: AMQPArgument] = ["x-single-active-consumer": .bool(true)]

    /// Where workers publish events for `eventsQueue` (routing key: the queue's name).
    public static func eventsExchange(for eventsQueue: String) -> String { "\(eventsQueue).in" }

    /// Where dead letters go (routing key: the dead-letter queue's name).
    public static let deadLetterExchange = "baton.dead"

    /// Declares every shared queue, exchange and binding (the scheduler does, at start
    /// and on every reconnection). Idempotent.
    public static func declareShared(
        on connection: AMQPConnection, commandQueue: String, eventsQueue: String, controlExchange: String
    ) async throws {
        try await connection.declareQueue(commandQueue)
        try await connection.declareQueue(eventsQueue, arguments: eventsQueueArguments)
        try await connection.declareExchange(eventsExchange(for: eventsQueue), type: "direct")
        try await connection.bindQueue(eventsQueue, to: eventsExchange(for: eventsQueue), routingKey: eventsQueue)
        try await connection.declareExchange(controlExchange, type: "fanout")
        try await connection.declareExchange(deadLetterExchange, type: "direct")
        for source in [commandQueue, eventsQueue] {
            let dead = DeadLetter.queue(for: source)
            try await connection.declareQueue(dead)
            try await connection.bindQueue(dead, to: deadLetterExchange, routingKey: dead)
        }
    }
}
