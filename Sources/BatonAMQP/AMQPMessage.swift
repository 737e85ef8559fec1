import Foundation

/// A message to publish. Persistent by default: Baton's queues are durable and a
/// command or event must survive a broker restart.
public struct AMQPMessage: Sendable, Equatable {
    public var exchange: String
    public var routingKey: String
    public var body: Data
    public var headers: [String: String]
    public var persistent: Bool
    public var contentType: String
    /// With confirms on, a mandatory message that reaches no queue makes `publish`
    /// throw; broadcasts that may have no listener set this to false.
    public var mandatory: Bool

    public init(
        routingKey: String, body: Data, exchange: String = "", headers: [String: String] = [:],
        persistent: Bool = true, contentType: String = "application/json", mandatory: Bool = true
    ) {
        self.mandatory = mandatory
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.headers = headers
        self.persistent = persistent
        self.contentType = contentType
    }
}

/// A message received from a queue. Acknowledge it with its `deliveryTag` on the
/// connection that received it.
public struct AMQPDelivery: Sendable, Equatable {
    public let deliveryTag: UInt64
    /// The exchange the message was published to ("" for the default exchange).
    public let exchange: String
    public let routingKey: String
    public let body: Data
    public let headers: [String: String]
    /// True when the broker delivered this message before and it was not acknowledged.
    public let redelivered: Bool
    /// The consumer it was delivered to ("" for `basic.get`).
    public let consumerTag: String

    public init(
        deliveryTag: UInt64, exchange: String = "", routingKey: String, body: Data, headers: [String: String],
        redelivered: Bool, consumerTag: String = ""
    ) {
        self.consumerTag = consumerTag
        self.deliveryTag = deliveryTag
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.headers = headers
        self.redelivered = redelivered
    }
}

/// A value in a queue's declaration arguments (`x-single-active-consumer`, `x-queue-type`, …).
public enum AMQPArgument: Sendable, Hashable {
    case string(String)
    case bool(Bool)
    case int(Int64)
}
