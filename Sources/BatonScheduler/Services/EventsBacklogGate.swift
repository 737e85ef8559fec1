import BatonAMQP
import Foundation
import Logging

/// Decides whether a worker's silence means anything yet.
///
/// Heartbeat and schedule-to-start timers judge an attempt by events that did not
/// arrive. That judgement is wrong while those events wait in the events queues (the
/// scheduler was down, or is catching up) or while workers are still reconnecting
/// after a broker outage: timing out then throws away work that is fine. So those
/// timers fire only once every events queue (the base queue and each partition) has
/// been seen empty for `settle`, this replica's consumers hold no delivery unapplied
/// for longer than `heldLimit` (the broker counts only ready messages), and the broker
/// — and the database, whose outage leaves events unapplied in the consumers' hands —
/// have been reachable for `brokerRecovery` (see docs/architecture.md).
actor EventsBacklogGate {
    let endpoint: AMQPEndpoint
    let queue: String
    let settle: Duration
    let brokerRecovery: Duration
    let logger: Logger
    /// Told of the database's outages by the scheduler's services.
    let database: DependencyHealth?
    /// The events queues to look at; just `queue` when nil.
    let queues: EventQueueList?
    /// What this replica's consumers hold unapplied.
    let activity: ConsumerActivity?
    static let heldLimit: Duration = .seconds(1)
    private var connection: AMQPConnection?
    private var connectedAt: ContinuousClock.Instant?
    private var drainedSince: ContinuousClock.Instant?
    private var wasOpen = true

    init(
        endpoint: AMQPEndpoint, queue: String, settle: Duration, brokerRecovery: Duration, logger: Logger,
        database: DependencyHealth? = nil, queues: EventQueueList? = nil, activity: ConsumerActivity? = nil
    ) {
        self.database = database
        self.endpoint = endpoint
        self.queue = queue
        self.settle = settle
        self.brokerRecovery = brokerRecovery
        self.logger = logger
        self.queues = queues
        self.activity = activity
    }

    /// True when timers that judge silence may fire now.
    func isOpen() async -> Bool {
        let open = await check()
        if open != wasOpen {
            wasOpen = open
            if open {
                logger.info("events are caught up: heartbeat timeouts apply again")
            } else {
                logger.notice(
                    "heartbeat timeouts held back until the events queues are caught up and workers reconnected")
            }
        }
        return open
    }

    private func check() async -> Bool {
        do {
            let connection: AMQPConnection
            if let open = self.connection {
                connection = open
            } else {
                connection = try await AMQPConnection.connect(
                    to: endpoint, name: "baton-scheduler events backlog \(queue)")
                self.connection = connection
                if connectedAt == nil { connectedAt = .now }
                drainedSince = nil
            }
            var waiting = 0
            for name in queues?.all ?? [queue] {
                waiting += try await connection.messageCount(name)
                if waiting > 0 { break }
            }
            let now = ContinuousClock.now
            let heldTooLong = activity?.oldestHeld.map { now - $0 > Self.heldLimit } ?? false
            guard waiting == 0, !heldTooLong else {
                drainedSince = nil
                return false
            }
            let drained = drainedSince ?? now
            drainedSince = drained
            if let database {
                if !database.isHealthy { return false }
                if let back = database.lastRecovery, now - back < brokerRecovery { return false }
            }
            return now - drained >= settle && now - (connectedAt ?? now) >= brokerRecovery
        } catch {
            await connection?.close()
            connection = nil
            drainedSince = nil
            // A retired partition deleted between two looks is not a broker outage.
            if case AMQPError.closedByBroker(let code, _) = error, code == 404 {} else { connectedAt = nil }
            return false
        }
    }

    func close() async {
        await connection?.close()
        connection = nil
    }
}
