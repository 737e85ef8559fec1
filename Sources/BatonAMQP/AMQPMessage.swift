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

    public init(
        routingKey: String, body: Data, exchange: String = "", headers: [String: String] = [:],
        persistent: Bool = true, contentType: String = "application/json"
    ) {
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
    public let routingKey: String
    public let body: Data
    public let headers: [String: String]
    /// True when the broker delivered this message before and it was not acknowledged.
    public let redelivered: Bool

    public init(deliveryTag: UInt64, routingKey: String, body: Data, headers: [String: String], redelivered: Bool) {
        self.deliveryTag = deliveryTag
        self.routingKey = routingKey
        self.body = body
        self.headers = headers
        self.redelivered = redelivered
    }
}
