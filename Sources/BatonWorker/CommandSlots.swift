import BatonAMQP
import Synchronization

/// The command consumer of one connection and the commands it holds unacknowledged, so
/// that `concurrency` bounds what runs even after a long activity's command has been
/// acknowledged.
///
/// A command stays unacknowledged while its activity runs: if the worker dies, the
/// broker hands it to another worker at once. But the broker also takes back a delivery
/// held longer than its consumer timeout (RabbitMQ: 30 minutes by default, set
/// broker-wide, with no per-queue setting before 3.12), and a command taken back while
/// its activity runs would run twice. So a command held for `holdLimit` is acknowledged
/// ("released"): from then on the scheduler's heartbeat timeout is what finds a dead
/// worker.
///
/// A released command no longer counts against the consumer's prefetch, and RabbitMQ
/// applies a prefetch change only to consumers started afterwards (a channel-wide limit,
/// which would change at once, does not exist for quorum queues). So releasing replaces
/// the consumer by one whose limit leaves out every activity still running, and the
/// consumer is replaced again, with a larger limit, when an activity it does not hold
/// ends. Without releases nothing is replaced. (A command the broker sent to a consumer
/// just before it was cancelled still runs: the limit can be passed by that many, rarely
/// and briefly.)
final class CommandSlots: Sendable {
    /// What the consume loop does next, in this order.
    struct Change: Equatable {
        /// The consumer to cancel.
        var cancel: String?
        /// Start a consumer with this prefetch limit (nil: none now).
        var consume: Int?
        /// Deliveries to acknowledge, once the replacement is in place: each one freed
        /// would otherwise let the broker send another command.
        var release: [UInt64]
    }

    private struct Held {
        var deliveryTag: UInt64
        var consumerTag: String
        var receivedAt: ContinuousClock.Instant
    }

    private struct State {
        var held: [ActivityCancellations.Key: Held] = [:]
        var consumer: (tag: String, limit: Int)?
    }

    let concurrency: Int
    let holdLimit: Duration
    private let state = Mutex(State())

    init(concurrency: Int, holdLimit: Duration) {
        self.concurrency = concurrency
        self.holdLimit = holdLimit
    }

    /// The consumer in place, if any.
    var consumerTag: String? { state.withLock { $0.consumer?.tag } }

    /// An activity started from `delivery`, unacknowledged until `finish` or a release.
    func hold(_ key: ActivityCancellations.Key, delivery: AMQPDelivery, at now: ContinuousClock.Instant) {
        state.withLock {
            $0.held[key] = Held(deliveryTag: delivery.deliveryTag, consumerTag: delivery.consumerTag, receivedAt: now)
        }
    }

    /// Whether the activity's command is still unacknowledged on this connection.
    func isHeld(_ key: ActivityCancellations.Key) -> Bool { state.withLock { $0.held[key] != nil } }

    /// The activity ended: the delivery to acknowledge, or nil when it was released.
    func finish(_ key: ActivityCancellations.Key) -> UInt64? {
        state.withLock { $0.held.removeValue(forKey: key)?.deliveryTag }
    }

    /// The consumer `change.consume` asked for is in place.
    func consumerStarted(_ tag: String, limit: Int) {
        state.withLock { $0.consumer = (tag, limit) }
    }

    /// What to change now, given `running` activities on this worker (on any connection)
    /// and whether it drains; nil when nothing. Commands due for release are taken out:
    /// the caller acknowledges them.
    func change(running: Int, draining: Bool, now: ContinuousClock.Instant) -> Change? {
        state.withLock { state in
            // Called for every delivery: nothing is allocated unless a command is due.
            var release: [UInt64] = []
            if state.held.values.contains(where: { now - $0.receivedAt >= holdLimit }) {
                let due = state.held.filter { now - $0.value.receivedAt >= holdLimit }
                for key in due.keys { state.held.removeValue(forKey: key) }
                release = due.values.map(\.deliveryTag).sorted()
            }
            let current = state.consumer
            if draining {
                state.consumer = nil
                if current == nil && release.isEmpty { return nil }
                return Change(cancel: current?.tag, consume: nil, release: release)
            }
            let room = concurrency - running
            if release.isEmpty {
                if let current {
                    let heldByCurrent = state.held.values.count { $0.consumerTag == current.tag }
                    // An activity this consumer does not hold ended: its slot is free, but
                    // the broker does not know it.
                    if current.limit >= concurrency - (running - heldByCurrent) { return nil }
                } else if room <= 0 {
                    return nil
                }
            }
            state.consumer = nil
            return Change(cancel: current?.tag, consume: room > 0 ? room : nil, release: release)
        }
    }
}
