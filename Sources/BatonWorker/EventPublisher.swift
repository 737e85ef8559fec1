import BatonAMQP
import BatonContracts

/// Sends a worker's events to the scheduler; returns once the broker holds them.
struct EventPublisher: Sendable {
    let publisher: ReconnectingPublisher
    let queue: String

    /// `routingKey`: the one the event's command names (its partition slot); without
    /// one, the events queue's own key (commands of a scheduler without partitions).
    func publish(_ event: WorkerEvent, routingKey: String?) async throws {
        try await publisher.publish([message(event, routingKey: routingKey)])
    }

    /// Several events in one batch (one confirm wait), each to its own routing key.
    func publish(_ events: [(event: WorkerEvent, routingKey: String?)]) async throws {
        try await publisher.publish(events.map { message($0.event, routingKey: $0.routingKey) })
    }

    private func message(_ event: WorkerEvent, routingKey: String?) -> AMQPMessage {
        AMQPMessage(
            routingKey: routingKey ?? queue, body: event.encoded(), exchange: Topology.eventsExchange(for: queue),
            persistent: Self.mustSurviveTheBroker(event.kind))
    }

    /// Heartbeats and progress are only news: the next one replaces a lost one, so the
    /// broker keeps them in memory and confirms them without writing them to disk. A
    /// heartbeat lost to a broker restart costs nothing, because heartbeat timeouts wait
    /// until workers have had time to reconnect after a broker outage (`EventsBacklogGate`).
    /// A worker's report that it reconnected is kept: it tells the scheduler that a later
    /// redelivery of its command is about a connection it survived.
    static func mustSurviveTheBroker(_ kind: WorkerEvent.Kind) -> Bool {
        switch kind {
        case .heartbeat(_, let reconnected): reconnected
        case .progress: false
        default: true
        }
    }
}
