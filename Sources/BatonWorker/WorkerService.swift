import BatonAMQP
import BatonAgents
import BatonContracts
import BatonTracing
import Foundation
import Logging
import ServiceLifecycle

/// The worker daemon's one service: consumes commands from `queue` with manual acks
/// and a prefetch that leaves out the activities it runs, so it never holds a command
/// it has no slot for, and runs each as an activity.
///
/// A command's delivery is acknowledged after the activity's outcome is published with
/// confirms; if the worker dies first, the broker redelivers it. An activity that runs
/// longer than `command_hold_seconds` has its command acknowledged then, before the
/// broker's consumer timeout would take it back (`CommandSlots`).
///
/// Broker outages: the event publisher reconnects and holds events until they are
/// confirmed; the command consumer reconnects with back-off. Activities keep running
/// across a reconnection, and the worker says at once, for each, that it reconnected.
/// Their old deliveries, requeued by the broker when the connection died, reach a
/// worker again as redelivered and are reported with the age of the connection that
/// received them; the scheduler weighs both (docs/architecture.md, "Redelivery is a
/// hint"). Whichever comes first, the activity's completion or a next attempt, decides
/// (the other is fenced off by the scheduler).
public struct WorkerService: Service {
    public let configuration: WorkerConfiguration
    public let registry: AgentRegistry
    public let workerId: String
    private let logger: Logger
    private let cancellations = ActivityCancellations()
    private let drain = WorkerDrain()

    public init(configuration: WorkerConfiguration, registry: AgentRegistry, logger: Logger) {
        self.configuration = configuration
        self.registry = registry
        self.logger = logger
        // Unique per service start: a restarted worker must not inherit an old lease,
        // and several workers may share a process (tests).
        let suffix = UUID().uuidString.prefix(8).lowercased()
        self.workerId = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(suffix)"
    }

    public func run() async throws {
        let endpoint = try AMQPEndpoint(url: configuration.brokerURL)
        let configuration = configuration
        let logger = logger
        // The worker declares nothing shared: the scheduler does (see `Topology`), so the
        // worker's broker user needs no right to configure shared queues.
        let publishers = (0..<Self.eventConnections(concurrency: configuration.concurrency)).map { index in
            ReconnectingPublisher(
                endpoint: endpoint, name: "baton-worker \(workerId) events \(index + 1)",
                maximumOutage: .seconds(configuration.brokerOutageSeconds), log: { logger.warning("\($0)") })
        }
        for publisher in publishers { try await publisher.start() }
        let events = EventPublisher(publishers: publishers, queue: configuration.eventsQueue)
        let publisher = events.first
        try await publisher.publish([status(stopping: false)])
        let text = TextPublisher(
            endpoint: endpoint, commandQueue: configuration.queue, workerId: workerId, logger: logger)
        let runner = ActivityRunner(
            registry: registry, publisher: events, workerId: workerId, cancellations: cancellations, drain: drain,
            text: text, logger: logger)
        // The first consumer connection is opened here, so a bad URL or password fails at
        // start; queues the scheduler has not declared yet are waited for.
        var consumer: CommandConnection? = try await openFirstConsumer(endpoint)
        logger.info(
            "worker ready",
            metadata: [
                "broker": "\(endpoint)", "queue": "\(configuration.queue)",
                "concurrency": "\(configuration.concurrency)",
                "agents": "\(registry.names.joined(separator: ","))",
            ])
        do {
            try await withGracefulShutdownHandler {
                try await withThrowingDiscardingTaskGroup { group in
                    let status = status(stopping: false)
                    group.addTask { await text.run() }
                    group.addTask {
                        var beats = 0
                        while true {
                            try await Task.sleep(for: .seconds(5))
                            for publisher in publishers { await publisher.keepAlive() }
                            beats += 1
                            // Tells the scheduler which agents this worker serves (WorkerStatus).
                            if Double(beats * 5) >= WorkerStatus.interval {
                                beats = 0
                                try? await publisher.publish([status])
                            }
                        }
                    }
                    var failures = 0
                    while !Task.isCancelled {
                        let began = ContinuousClock.now
                        do {
                            let connection: CommandConnection
                            if let consumer {
                                connection = consumer
                            } else {
                                connection = try await openConsumer(endpoint)
                                reportReconnection(runner.publisher, group: &group)
                            }
                            consumer = nil
                            let finished = try await consume(
                                connection.connection, openedAt: connection.openedAt, runner: runner, group: &group)
                            await connection.connection.close()
                            if finished { break }
                        } catch let error as AMQPError {
                            guard !drain.isDraining else { break }
                            if case .closedByBroker(406, let text) = error, text.contains("acknowledgement") {
                                logger.error(
                                    "the broker took back a command held longer than its consumer_timeout, so its activity may run twice: set command_hold_seconds below the broker's consumer_timeout",
                                    metadata: ["command_hold_seconds": "\(configuration.commandHoldSeconds)"])
                            }
                            // Back off further only while connections keep failing fast.
                            failures = ContinuousClock.now - began > .seconds(30) ? 1 : failures + 1
                            let delay = Duration.milliseconds(min(5_000, 100 << min(failures, 6)))
                            logger.warning(
                                "command connection lost; reconnecting",
                                metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                            try await Task.sleep(for: delay)
                        }
                    }
                    group.cancelAll()
                }
            } onGracefulShutdown: { [drain, logger] in
                logger.info("draining: no new commands; running activities stop at their next checkpoint")
                drain.begin()
            }
        } catch is CancellationError where drain.isDraining {
            // The drain ended the consumer loop and cancelled what was left.
        }
        logger.info("worker stopped")
        for publisher in publishers { await publisher.close() }
    }

    /// Connections for events: one per four slots, at most four (a connection is a
    /// thread here and a process at the broker).
    static func eventConnections(concurrency: Int) -> Int { min(4, max(1, concurrency / 4)) }

    /// The first consumer connection: a login that fails ends the start; a queue or
    /// exchange the scheduler has not declared yet (404) is waited for.
    private func openFirstConsumer(_ endpoint: AMQPEndpoint) async throws -> CommandConnection {
        var backoff = 0
        while true {
            do {
                return try await openConsumer(endpoint)
            } catch AMQPError.closedByBroker(let code, let text) where code == 404 {
                if backoff == 0 {
                    logger.notice(
                        "waiting for the scheduler to declare the queues (start a scheduler on this broker)",
                        metadata: ["broker": "\(text)"])
                }
                backoff += 1
                try await Task.sleep(for: .milliseconds(min(5_000, 100 << min(backoff, 6))))
            }
        }
    }

    /// A command consumer connection and when it was opened (once open, not before).
    private struct CommandConnection: Sendable {
        let connection: AMQPConnection
        let openedAt: ContinuousClock.Instant
    }

    /// A connection consuming the command queue and this worker's control queue.
    private func openConsumer(_ endpoint: AMQPEndpoint) async throws -> CommandConnection {
        let connection = try await AMQPConnection.connect(to: endpoint, name: "baton-worker \(workerId) commands")
        let openedAt = ContinuousClock.now
        try await connection.setPrefetch(UInt16(configuration.concurrency))
        let controlExchange = WorkerCommand.controlExchange(for: configuration.queue)
        try await connection.declareExclusiveQueue("\(controlExchange).\(workerId)", boundTo: controlExchange)
        try await connection.consume("\(controlExchange).\(workerId)")
        return CommandConnection(connection: connection, openedAt: openedAt)
    }

    /// The command connection came back after a loss: the broker requeued this worker's
    /// unacknowledged commands, and whoever gets one reports it redelivered. Says at once,
    /// for each running activity, that this worker lives and reconnected, so that the
    /// redelivery is not taken for its death (docs/architecture.md, "Redelivery is a hint").
    private func reportReconnection(_ publisher: EventPublisher, group: inout ThrowingDiscardingTaskGroup<any Error>) {
        let running = cancellations.running
        guard !running.isEmpty else { return }
        let events = running.map { activity in
            (event: event(.heartbeat(nil, reconnected: true), for: activity), routingKey: activity.eventsRoutingKey)
        }
        let logger = logger
        logger.info("command connection back; telling the scheduler", metadata: ["activities": "\(running.count)"])
        group.addTask {
            do {
                try await publisher.publish(events)
            } catch {
                // Only a hint lost: the activities' own heartbeats still speak for them.
                logger.warning("could not report the reconnection", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Consumes until the drain is over (true) or the connection fails (throws).
    private func consume(
        _ consumer: AMQPConnection, openedAt: ContinuousClock.Instant, runner: ActivityRunner,
        group: inout ThrowingDiscardingTaskGroup<any Error>
    ) async throws -> Bool {
        let slots = CommandSlots(
            concurrency: configuration.concurrency, holdLimit: .seconds(configuration.commandHoldSeconds))
        let publisher = runner.publisher.first
        let drainTimeout = Duration.seconds(configuration.drainTimeoutSeconds)
        var announcedStopping = false
        while !Task.isCancelled {
            if let change = slots.change(running: drain.runningActivities, draining: drain.isDraining, now: .now) {
                try await apply(change, on: consumer, slots: slots)
            }
            if drain.isDraining && !announcedStopping {
                announcedStopping = true  // no new commands from here on
                try? await publisher.publish([status(stopping: true)])
            }
            if drain.isFinished(timeout: drainTimeout) {
                // Activities still running leave their commands unacknowledged: the broker
                // hands them to another worker when this connection closes. Those whose
                // commands were released are handed back here.
                await handBackReleased(slots, runner: runner)
                return true
            }
            // A finished activity's acknowledgement ends this wait at once (`AMQPConnection.ack`):
            // with every slot taken, the next command comes only after it.
            guard let delivery = try await consumer.nextDelivery(timeout: .milliseconds(200)) else { continue }
            let command: WorkerCommand
            do {
                command = try WorkerCommand.decode(delivery.body)
            } catch {
                logger.error(
                    "dead-lettering a command that cannot be read",
                    metadata: ["reason": "\(error)", "queue": "\(configuration.queue)"])
                try await publisher.publish([
                    DeadLetter.message(for: delivery, from: configuration.queue, reason: "\(error)")
                ])
                try await consumer.ack(delivery.deliveryTag)
                continue
            }
            switch command {
            case .runActivity(let activity):
                try await accept(
                    activity, delivery: delivery, consumer: consumer, slots: slots, openedAt: openedAt, runner: runner,
                    group: &group)
            case .cancelActivity(let cancel) where cancel.workerId != nil && cancel.workerId != workerId:
                try await consumer.ack(delivery.deliveryTag)  // for another worker running the same attempt
            case .cancelActivity(let cancel):
                let found = cancellations.cancel(.init(workflowId: cancel.workflowId, attempt: cancel.attempt))
                if found { logger.info("cancelling activity", metadata: ["workflow": "\(cancel.workflowId)"]) }
                try await consumer.ack(delivery.deliveryTag)
            case .pauseActivity(let pause):
                if pause.workerId == workerId,
                    cancellations.pause(.init(workflowId: pause.workflowId, attempt: pause.attempt))
                {
                    logger.info(
                        "pausing activity at its next checkpoint", metadata: ["workflow": "\(pause.workflowId)"])
                }
                try await consumer.ack(delivery.deliveryTag)
            }
        }
        return true
    }

    /// Replaces the command consumer and releases commands (see `CommandSlots`).
    private func apply(_ change: CommandSlots.Change, on consumer: AMQPConnection, slots: CommandSlots) async throws {
        if let tag = change.cancel { try await consumer.cancelConsumer(tag) }
        if let limit = change.consume {
            try await consumer.setPrefetch(UInt16(clamping: limit))
            slots.consumerStarted(try await consumer.consume(configuration.queue), limit: limit)
        }
        guard !change.release.isEmpty else { return }
        for tag in change.release { try await consumer.ack(tag) }
        logger.info(
            "acknowledged the commands of activities running longer than command_hold_seconds: if this worker dies, its missed heartbeats tell the scheduler",
            metadata: [
                "commands": "\(change.release.count)", "command_hold_seconds": "\(configuration.commandHoldSeconds)",
            ])
    }

    /// At the end of a drain that ran out of time: activities whose commands were released
    /// would otherwise wait for the heartbeat timeout before another worker runs them.
    private func handBackReleased(_ slots: CommandSlots, runner: ActivityRunner) async {
        for activity in cancellations.running
        where !slots.isHeld(.init(workflowId: activity.workflowId, attempt: activity.attempt)) {
            do {
                try await runner.publisher.publish(
                    event(.handedBack, for: activity), routingKey: activity.eventsRoutingKey)
            } catch {
                logger.warning(
                    "could not hand back an activity cut off by the drain timeout; its heartbeat timeout will",
                    metadata: ["workflow": "\(activity.workflowId)", "error": "\(error)"])
            }
        }
    }

    /// Runs a command, or says why not: a command that comes again for an activity this
    /// worker runs is dropped, a redelivered one is reported, one that arrives during a
    /// drain is handed back.
    private func accept(
        _ activity: RunActivity, delivery: AMQPDelivery, consumer: AMQPConnection, slots: CommandSlots,
        openedAt: ContinuousClock.Instant, runner: ActivityRunner, group: inout ThrowingDiscardingTaskGroup<any Error>
    ) async throws {
        let key = ActivityCancellations.Key(workflowId: activity.workflowId, attempt: activity.attempt)
        let metadata: Logger.Metadata = ["workflow": "\(activity.workflowId)", "attempt": "\(activity.attempt)"]
        if delivery.redelivered && !cancellations.isRunning(key) {
            // The worker that held this command lost its connection: it may be gone, or
            // alive and reconnecting. Tell the scheduler, with how long this connection has
            // been open: the broker has been up at least that long. The scheduler decides
            // whether that worker is gone and dispatches the next attempt from the latest
            // checkpoint (the command's own checkpoint may be stale).
            // A stopping broker closes its connections one by one: a command requeued by an
            // early close can reach this one just before its turn. One round trip first: a
            // connection closing fails it, and the command comes back later, to a new one.
            try await consumer.setPrefetch(UInt16(configuration.concurrency))
            let age = ContinuousClock.now - openedAt
            let seconds = Double(age.components.seconds) + Double(age.components.attoseconds) * 1e-18
            logger.info(
                "command redelivered; handing it back to the scheduler",
                metadata: metadata.merging(["connection_age_s": "\(seconds)"]) { $1 })
            try await runner.publisher.publish(
                event(.redelivered(connectionAgeSeconds: max(0, seconds)), for: activity),
                routingKey: activity.eventsRoutingKey)
            try await consumer.ack(delivery.deliveryTag)
            return
        }
        // Claimed as it is accepted, before it even reports `started`, so that a copy
        // arriving a moment later is recognised.
        guard !delivery.redelivered, cancellations.claim(key, for: activity) else {
            // A command this worker already runs: its own, back after its connection was
            // cut (a broker restart), or a copy the outbox sent again. The activity runs on
            // here; taking the copy keeps it from reaching another worker.
            logger.info(
                "a command for an activity this worker runs came again; the activity goes on", metadata: metadata)
            try await consumer.ack(delivery.deliveryTag)
            return
        }
        if drain.isDraining {
            // Arrived as the drain began: give it back without starting it (a requeued
            // command would look like a lost worker's to the next one).
            cancellations.unregister(key)
            try await runner.publisher.publish(
                event(.handedBack, for: activity), routingKey: activity.eventsRoutingKey)
            try await consumer.ack(delivery.deliveryTag)
            return
        }
        slots.hold(key, delivery: delivery, at: .now)
        drain.activityStarted()
        let (logger, cancellations, drain) = (logger, cancellations, drain)
        group.addTask {
            defer {
                cancellations.unregister(key)
                drain.activityEnded()
            }
            do {
                try await runner.run(activity, trace: TraceHeaders.filtered(delivery.headers))
            } catch {
                _ = slots.finish(key)
                throw error
            }
            guard let deliveryTag = slots.finish(key) else { return }  // released while it ran
            do {
                try await consumer.ack(deliveryTag)
            } catch {
                // The connection that received it is gone: the broker requeued the command,
                // and its redelivery will be handed back and fenced off.
                logger.notice("could not acknowledge a finished command", metadata: ["error": "\(error)"])
            }
        }
    }

    private func status(stopping: Bool) -> AMQPMessage {
        AMQPMessage(
            routingKey: configuration.eventsQueue,
            body: WorkerStatus(
                workerId: workerId, agents: registry.names, descriptors: registry.descriptors,
                concurrency: configuration.concurrency, stopping: stopping
            ).encoded(),
            exchange: Topology.eventsExchange(for: configuration.eventsQueue))
    }

    private func event(_ kind: WorkerEvent.Kind, for activity: RunActivity) -> WorkerEvent {
        WorkerEvent(
            workflowId: activity.workflowId, attempt: activity.attempt, workerId: workerId,
            leaseToken: activity.leaseToken, kind: kind)
    }
}

extension WorkerService: CustomStringConvertible {
    /// Service groups log their services at debug level: never the configuration (its
    /// broker URL and provider keys are secrets).
    public var description: String { "WorkerService(\(workerId))" }
}
