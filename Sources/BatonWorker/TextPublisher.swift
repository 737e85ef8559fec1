import BatonAMQP
import BatonContracts
import Logging
import Synchronization

/// Sends the text model calls generate to the scheduler replicas that show it live.
///
/// A viewer's convenience must never slow or stop an activity, so nothing here waits
/// for the broker: `offer` only queues, a loop sends what queued every `interval` on a
/// connection of its own, without confirms and never persistent, and while the broker
/// is away the text is dropped (bounded by `maximumQueuedBytes`). Pieces of one call
/// that queued together go as one message.
final class TextPublisher: Sendable {
    let endpoint: AMQPEndpoint
    let exchange: String
    let name: String
    let logger: Logger
    static let interval: Duration = .milliseconds(50)
    static let maximumQueuedBytes = 4 * 1024 * 1024

    private struct Queued {
        var deltas: [TextDelta] = []
        var bytes = 0
    }
    private let queued = Mutex(Queued())

    init(endpoint: AMQPEndpoint, commandQueue: String, workerId: String, logger: Logger) {
        self.endpoint = endpoint
        self.exchange = Topology.textExchange(for: commandQueue)
        self.name = "baton-worker \(workerId) text"
        self.logger = logger
    }

    /// Queues `delta` to be sent; drops it when too much text already waits.
    func offer(_ delta: TextDelta) {
        queued.withLock { queued in
            guard queued.bytes + delta.text.utf8.count <= Self.maximumQueuedBytes else { return }
            queued.bytes += delta.text.utf8.count
            if let last = queued.deltas.last, let merged = Self.merge(last, delta) {
                queued.deltas[queued.deltas.count - 1] = merged
            } else {
                queued.deltas.append(delta)
            }
        }
    }

    /// One message for two pieces of the same call that follow each other, when it fits.
    static func merge(_ earlier: TextDelta, _ later: TextDelta) -> TextDelta? {
        guard earlier.workflowId == later.workflowId, earlier.attempt == later.attempt,
            earlier.node == later.node, earlier.call == later.call,
            later.restarted || earlier.text.utf8.count + later.text.utf8.count <= TextDelta.maximumTextBytes
        else { return nil }
        var merged = later
        if !later.restarted {
            merged.text = earlier.text + later.text
            merged.restarted = earlier.restarted
        }
        return merged
    }

    /// Sends until cancelled.
    func run() async {
        var connection: AMQPConnection?
        var idleTicks = 0
        var failures = 0
        var retryAt = ContinuousClock.now
        while !Task.isCancelled {
            do { try await Task.sleep(for: Self.interval) } catch { break }
            let deltas = queued.withLock { queued in
                defer { queued = Queued() }
                return queued.deltas
            }
            do {
                if deltas.isEmpty {
                    idleTicks += 1
                    // Answers the broker's heartbeats on an idle connection.
                    if idleTicks % 100 == 0, let connection { try await connection.keepAlive() }
                    continue
                }
                idleTicks = 0
                guard ContinuousClock.now >= retryAt else { continue }  // the broker is away: dropped
                let open: AMQPConnection
                if let connection {
                    open = connection
                } else {
                    open = try await AMQPConnection.connect(to: endpoint, name: name)
                    connection = open
                }
                try await open.publish(
                    deltas.map {
                        AMQPMessage(
                            routingKey: $0.workflowId, body: $0.encoded(), exchange: exchange, persistent: false)
                    })
                failures = 0
            } catch {
                await connection?.close()
                connection = nil
                failures += 1
                let delay = Duration.seconds(min(60, 1 << min(failures, 6)))
                retryAt = .now + delay
                logger.debug(
                    "model text not sent; text is dropped until the next try",
                    metadata: ["error": "\(error)", "retry_in": "\(delay)"])
            }
        }
        await connection?.close()
    }
}
