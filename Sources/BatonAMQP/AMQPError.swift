/// What went wrong talking to the AMQP broker. Messages carry librabbitmq's or the
/// broker's own text, never credentials.
public enum AMQPError: Error, Equatable, CustomStringConvertible {
    /// The broker URL could not be parsed.
    case invalidURL(reason: String)
    /// The TCP connection or the login failed.
    case connectionFailed(endpoint: String, reason: String)
    /// The broker closed the channel or the connection (`code` is the AMQP reply code).
    case closedByBroker(code: UInt16, text: String)
    /// A librabbitmq call failed; `operation` names what Baton was doing.
    case library(operation: String, reason: String)
    /// The broker refused (nacked) a published message.
    case publishRefused(routingKey: String)
    /// A mandatory message reached no queue.
    case unroutable(routingKey: String, text: String)
    /// The connection was already closed by an earlier error or by `close()`.
    case connectionClosed

    public var description: String {
        switch self {
        case .invalidURL(let reason):
            "invalid AMQP URL: \(reason) (expected amqp://user:password@host:port/vhost)"
        case .connectionFailed(let endpoint, let reason):
            "cannot connect to the AMQP broker at \(endpoint): \(reason); is RabbitMQ running (make services-start)?"
        case .closedByBroker(let code, let text):
            "the AMQP broker closed the connection: \(code) \(text)"
                + (text.contains("inequivalent arg")
                    ? "; the queue exists with other arguments, and a queue's type and arguments cannot change in"
                        + " place (another queue_type, or an older version, declared it): stop the workers, let it"
                        + " empty and delete it (rabbitmqctl delete_queue NAME), or set queue_type back, or"
                        + " configure another name" : "")
        case .library(let operation, let reason):
            "AMQP \(operation) failed: \(reason)"
        case .publishRefused(let routingKey):
            "the AMQP broker refused a message for '\(routingKey)' (basic.nack)"
        case .unroutable(let routingKey, let text):
            "no queue is bound to '\(routingKey)': \(text); declare the queue first"
        case .connectionClosed:
            "the AMQP connection is closed"
        }
    }
}
