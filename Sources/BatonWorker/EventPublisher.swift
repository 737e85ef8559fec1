import BatonAMQP
import BatonContracts
import BatonTracing

/// Sends a worker's events to the scheduler; returns once the broker holds them.
///
/// A few connections, each a group commit of its own (`ReconnectingPublisher`): a batch
/// waits for its confirms before the next goes out on that connection, so with one
/// connection sixteen activities took turns at the broker's fsync; with several, their
/// confirm waits overlap. An activity's events all go through the same connection
/// (chosen by its workflow id), so they keep their order.
struct EventPublisher: Sendable {
    let publishers: [ReconnectingPublisher]
    let queue: String

    init(publishers: [ReconnectingPublisher], queue: String) {
        precondition(!publishers.isEmpty, "an event publisher needs a connection")
        self.publishers = publishers
        self.queue = queue
    }

    /// The connection for the worker's own messages (status, dead letters).
    var first: ReconnectingPublisher { publishers[0] }

    /// `routingKey`: the one the event's command names (its partition slot); without
    /// one, the events queue's own key (commands of a scheduler without partitions).
    func publish(_ event: WorkerEvent, routingKey: String?) async throws {
        try await publisher(for: event.workflowId).publish([message(event, routingKey: routingKey, limits: .standard)])
    }

    /// Several events with one confirm wait per connection, each to its own routing key.
    /// An event over `limits` is not sent: its `ActivityFailure` is thrown, and none of
    /// the events go out.
    func publish(
        _ events: [(event: WorkerEvent, routingKey: String?)], limits: ActivityLimits = .standard
    ) async throws {
        var byConnection: [Int: [AMQPMessage]] = [:]
        for (event, routingKey) in events {
            byConnection[index(for: event.workflowId), default: []].append(
                try message(event, routingKey: routingKey, limits: limits))
        }
        if byConnection.count == 1, let (index, messages) = byConnection.first {
            try await publishers[index].publish(messages)  // one activity's events: no child tasks
            return
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, messages) in byConnection {
                group.addTask { try await publishers[index].publish(messages) }
            }
            try await group.waitForAll()
        }
    }

    private func index(for workflowId: String) -> Int {
        Int(StableHash.fnv1a(workflowId) % UInt64(publishers.count))
    }

    private func publisher(for workflowId: String) -> ReconnectingPublisher { publishers[index(for: workflowId)] }

    private func message(
        _ event: WorkerEvent, routingKey: String?, limits: ActivityLimits
    ) throws(ActivityFailure)
        -> AMQPMessage
    {
        let body = event.encoded()
        if let failure = limits.failure(for: event.kind, bytes: body.count) { throw failure }
        return AMQPMessage(
            routingKey: routingKey ?? queue, body: body, exchange: Topology.eventsExchange(for: queue),
            headers: TraceHeaders.current(), persistent: Self.mustSurviveTheBroker(event.kind))
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
