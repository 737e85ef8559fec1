import Foundation

/// Dead-lettering: a message Baton cannot use is moved, byte for byte, to the queue
/// `<source>.dead` with the reason in its headers, so an operator can read why and
/// replay it; the source queue keeps flowing.
public enum DeadLetter {
    public static func queue(for source: String) -> String { "\(source).dead" }

    /// The message to publish for a delivery that cannot be processed.
    public static func message(for delivery: AMQPDelivery, from source: String, reason: String) -> AMQPMessage {
        var headers = delivery.headers
        headers["x-baton-dead-letter-reason"] = String(reason.prefix(4096))
        headers["x-baton-source-queue"] = source
        return AMQPMessage(
            routingKey: queue(for: source), body: delivery.body, exchange: Topology.deadLetterExchange, headers: headers
        )
    }

    /// The reason recorded on a dead-lettered message.
    public static func reason(of delivery: AMQPDelivery) -> String? {
        delivery.headers["x-baton-dead-letter-reason"]
    }
}
