import BatonAMQP
import BatonContracts

/// Publishes a worker's events to the scheduler with publisher confirms: when
/// `publish` returns, the broker holds the event durably.
struct EventPublisher: Sendable {
    let connection: AMQPConnection
    let queue: String

    func publish(_ event: WorkerEvent) async throws(AMQPError) {
        try await connection.publish([AMQPMessage(routingKey: queue, body: event.encoded())])
    }
}
