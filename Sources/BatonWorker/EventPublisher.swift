import BatonAMQP
import BatonContracts

/// Sends a worker's events to the scheduler; returns once the broker holds them.
struct EventPublisher: Sendable {
    let publisher: ReconnectingPublisher
    let queue: String

    func publish(_ event: WorkerEvent) async throws {
        try await publisher.publish([
            AMQPMessage(routingKey: queue, body: event.encoded(), exchange: Topology.eventsExchange(for: queue))
        ])
    }
}
