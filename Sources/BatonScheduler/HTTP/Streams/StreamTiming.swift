import Foundation
import OpenAPIRuntime

/// How often a live stream looks for news, and how long it may stay silent.
///
/// A stream reads PostgreSQL, not this replica's memory: the events of a workflow are
/// applied by whichever replica owns its partition, so only the database sees them
/// all. Each read is a primary-key or index lookup.
struct StreamTiming: Sendable {
    var poll: Duration = .milliseconds(200)
    /// Proxies close a connection that carries nothing for a minute or so.
    var keepAlive: Duration = .seconds(15)
    /// What a client waits before it reconnects (the stream's `retry:`), in milliseconds.
    var reconnectMilliseconds: Int64 = 2_000
}

extension ServerSentEvent {
    /// A `name` event carrying `value` as one line of JSON, as the API encodes bodies.
    static func json(_ name: String, _ value: some Encodable, id: String? = nil) -> ServerSentEvent {
        ServerSentEvent(
            id: id, event: name, data: String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self))
    }

    /// An empty line: dispatches nothing in a client, but keeps the connection busy.
    static let keepAlive = ServerSentEvent()

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
}
