import BatonAMQP
import Logging
import ServiceLifecycle
import Synchronization

/// Shares the events queues among the live scheduler replicas and consumes this
/// replica's share (docs/architecture.md, "Event partitions").
///
/// Every second: renew the leases, claim free ones up to the fair share
/// (`PartitionLeases.tick`), start a consumer for each queue held, abandon those whose
/// lease is gone, and release what exceeds the share — a released queue's lease is
/// deleted only once its consumer has acknowledged everything it applied. A watchdog
/// abandons every consumer when no renewal has succeeded for `renewalDeadline`, well
/// before the leases expire for the others. On shutdown every consumer stops in order,
/// then the leases and this replica's row are deleted.
struct EventPartitionService: Service {
    let leases: PartitionLeases
    let activity: ConsumerActivity
    let database: DependencyHealth
    let logger: Logger
    let kill: PartitionKillSwitch?
    /// Makes the consumer of a queue (`retiring`: a retired partition to empty).
    let consumer:
        @Sendable (_ queue: String, _ retiring: Bool, _ control: EventQueueConsumer.Control) ->
            EventQueueConsumer
    /// Told of the queues in use, for `EventsBacklogGate`.
    let queues: EventQueueList

    static let interval: Duration = .seconds(1)
    /// Leases last `PartitionLeases.time` (8 s) from their renewal: stop consuming 3 s before.
    static let renewalDeadline: Duration = PartitionLeases.time - .seconds(3)

    func run() async throws {
        let running = RunningConsumers()
        let renewed = Renewal()
        await withDiscardingTaskGroup { group in
            group.addTask {
                await watch(running, renewed: renewed)
            }
            await lead(running, renewed: renewed)
            renewed.finish()
        }
        await running.waitForAll()
    }

    private func watch(_ running: RunningConsumers, renewed: Renewal) async {
        var warned = false
        // A cancelled task's sleep returns at once: the loop must end then too, or it spins.
        while !renewed.isFinished && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(200))
            let late = ContinuousClock.now - renewed.last > Self.renewalDeadline
            if late && !running.isEmpty {
                if !warned {
                    logger.warning("event partition leases could not be renewed; stopped consuming them")
                    warned = true
                }
                running.abandonAll()
            } else if !late {
                warned = false
            }
        }
    }

    private func lead(_ running: RunningConsumers, renewed: Renewal) async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if kill?.isTripped == true {
                running.abandonAll()
                await idleUntilShutdown()
                return
            }
            await settle(running.takeFinished())
            let started = ContinuousClock.now
            do {
                let tick = try await leases.tick(applied: activity.appliedCount)
                database.succeeded(logger: logger)
                renewed.renewed(at: started)
                queues.set(tick.queues)
                apply(tick, to: running, fresh: ContinuousClock.now - started < Self.renewalDeadline)
            } catch {
                database.failed(error, logger: logger)
            }
            await pause(until: started + Self.interval, unless: running)
        }
        // In order: consumers finish what they took, leases stay renewed meanwhile.
        running.releaseAll()
        if Task.isCancelled { running.abandonAll() }
        while !running.isEmpty && !Task.isCancelled {
            await settle(running.takeFinished())
            let started = ContinuousClock.now
            if (try? await leases.tick(applied: activity.appliedCount)) != nil { renewed.renewed(at: started) }
            await pause(until: .now + Self.interval, unless: running)
        }
        await settle(running.takeFinished())
        do {
            try await leases.leave()
        } catch {
            logger.notice(
                "could not give the event partition leases back; they expire", metadata: ["error": "\(error)"])
        }
    }

    private func apply(_ tick: PartitionLeases.Tick, to running: RunningConsumers, fresh: Bool) {
        let held = Set(tick.held)
        let lost = running.queues.subtracting(held)
        if !lost.isEmpty {
            logger.notice("event partitions taken over by another replica", metadata: ["queues": "\(lost.sorted())"])
            running.abandon(lost)
        }
        // A renewal that took too long may already be stale: start nothing on it.
        guard fresh else { return }
        for queue in tick.held where !running.queues.contains(queue) {
            let control = EventQueueConsumer.Control()
            let consumer = consumer(queue, tick.retiring.contains(queue), control)
            running.start(queue, control: control) { try await consumer.run() }
        }
        let active = Array(running.queues.subtracting(running.releasing))
        for queue in EventPartitions.toRelease(active: active, share: tick.share) {
            logger.info("giving an event partition to another replica", metadata: ["queue": "\(queue)"])
            running.release(queue)
        }
    }

    /// Deletes the leases of consumers that stopped in order after a release.
    private func settle(_ finished: [RunningConsumers.Finished]) async {
        for item in finished {
            do {
                switch item.end {
                case .deleted?: try await leases.retired(item.queue)
                case .released? where item.releasing: try await leases.release(item.queue)
                default: break  // restarted at the next tick if still held
                }
            } catch {
                logger.notice(
                    "could not give an event partition lease back; it expires",
                    metadata: ["queue": "\(item.queue)", "error": "\(error)"])
            }
        }
    }

    /// Sleeps until `deadline`, waking early when a consumer has finished.
    private func pause(until deadline: ContinuousClock.Instant, unless running: RunningConsumers) async {
        while ContinuousClock.now < deadline && !running.hasFinished && !Task.isShuttingDownGracefully
            && !Task.isCancelled
        {
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func idleUntilShutdown() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled { try? await Task.sleep(for: .milliseconds(100)) }
    }
}

/// When the leases were last renewed (the start of the renewal that succeeded).
private final class Renewal: Sendable {
    private let state = Mutex((last: ContinuousClock.now, finished: false))
    func renewed(at instant: ContinuousClock.Instant) { state.withLock { $0.last = instant } }
    var last: ContinuousClock.Instant { state.withLock { $0.last } }
    func finish() { state.withLock { $0.finished = true } }
    var isFinished: Bool { state.withLock { $0.finished } }
}

/// Tests: makes a replica's event partitions behave as if its process were killed —
/// no more renewals, connections closed abruptly, nothing released.
final class PartitionKillSwitch: Sendable {
    private let tripped = Atomic<Bool>(false)
    init() {}
    func trip() { tripped.store(true, ordering: .relaxed) }
    var isTripped: Bool { tripped.load(ordering: .relaxed) }
}
