import BatonAMQP
import BatonAgents
import BatonContracts
import Foundation
import Logging
import ServiceLifecycle

/// The worker daemon's one service: consumes commands from `queue` with manual acks
/// and a prefetch equal to its concurrency, so it never holds a command it has no
/// slot for, and runs each as an activity.
///
/// A command's delivery is acknowledged only after the activity's outcome is
/// published with confirms; if the worker dies first, the broker redelivers it.
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
        let consumer = try await AMQPConnection.connect(to: endpoint, name: "commands")
        let publishing = try await AMQPConnection.connect(to: endpoint, name: "events")
        try await publishing.enableConfirms()
        for queue in [configuration.queue, DeadLetter.queue(for: configuration.queue)] {
            try await publishing.declareQueue(queue)
        }
        try await publishing.declareQueue(configuration.eventsQueue, arguments: Topology.eventsQueueArguments)
        try await consumer.setPrefetch(UInt16(configuration.concurrency))
        let commandConsumer = try await consumer.consume(configuration.queue)
        // Cancellations are broadcast; each worker listens on a queue of its own.
        let controlExchange = WorkerCommand.controlExchange(for: configuration.queue)
        try await publishing.declareExchange(controlExchange, type: "fanout")
        try await consumer.declareExclusiveQueue("\(controlExchange).\(workerId)", boundTo: controlExchange)
        try await consumer.consume("\(controlExchange).\(workerId)")
        logger.info(
            "worker ready",
            metadata: [
                "broker": "\(endpoint)", "queue": "\(configuration.queue)",
                "concurrency": "\(configuration.concurrency)",
                "agents": "\(registry.names.joined(separator: ","))",
            ])

        let runner = ActivityRunner(
            registry: registry,
            publisher: EventPublisher(connection: publishing, queue: configuration.eventsQueue),
            workerId: workerId, cancellations: cancellations, drain: drain, logger: logger)
        do {
            try await withGracefulShutdownHandler {
                try await consume(consumer, publishing, runner, commandConsumer: commandConsumer)
            } onGracefulShutdown: { [drain, logger] in
                logger.info("draining: no new commands; running activities stop at their next checkpoint")
                drain.begin()
            }
        } catch is CancellationError where drain.isDraining {
            // The drain ended the consumer loop and cancelled what was left.
        }
        logger.info("worker stopped")
        await consumer.close()
        await publishing.close()
    }

    private func consume(
        _ consumer: AMQPConnection, _ publishing: AMQPConnection, _ runner: ActivityRunner, commandConsumer: String
    ) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                while true {
                    try await Task.sleep(for: .seconds(5))
                    try await publishing.keepAlive()
                }
            }
            let drainTimeout = Duration.seconds(configuration.drainTimeoutSeconds)
            var consuming = true
            while !Task.isCancelled {
                if consuming && drain.isDraining {
                    try await consumer.cancelConsumer(commandConsumer)  // no new commands
                    consuming = false
                }
                if drain.isFinished(timeout: drainTimeout) {
                    // Activities still running leave their commands unacknowledged: the broker
                    // hands them to another worker when this connection closes.
                    group.cancelAll()
                    break
                }
                guard let delivery = try await consumer.nextDelivery(timeout: .milliseconds(200)) else {
                    continue
                }
                let command: WorkerCommand
                do {
                    command = try WorkerCommand.decode(delivery.body)
                } catch {
                    logger.error(
                        "dead-lettering a command that cannot be read",
                        metadata: ["reason": "\(error)", "queue": "\(configuration.queue)"])
                    try await publishing.publish([
                        DeadLetter.message(for: delivery, from: configuration.queue, reason: "\(error)")
                    ])
                    try await consumer.ack(delivery.deliveryTag)
                    continue
                }
                switch command {
                case .runActivity(let activity) where delivery.redelivered:
                    // The worker that held this command is gone, and the command's checkpoint
                    // may be stale: tell the scheduler, which dispatches the next attempt
                    // from the latest checkpoint.
                    logger.info(
                        "command redelivered; handing it back to the scheduler",
                        metadata: ["workflow": "\(activity.workflowId)", "attempt": "\(activity.attempt)"])
                    try await runner.publisher.publish(
                        WorkerEvent(
                            workflowId: activity.workflowId, attempt: activity.attempt, workerId: workerId,
                            kind: .redelivered))
                    try await consumer.ack(delivery.deliveryTag)
                case .runActivity(let activity) where drain.isDraining:
                    // Arrived as the drain began: give it back without starting it (a
                    // requeued command would look like a lost worker's to the next one).
                    try await runner.publisher.publish(
                        WorkerEvent(
                            workflowId: activity.workflowId, attempt: activity.attempt, workerId: workerId,
                            kind: .handedBack))
                    try await consumer.ack(delivery.deliveryTag)
                case .runActivity(let activity):
                    drain.activityStarted()
                    group.addTask {
                        defer { drain.activityEnded() }
                        try await runner.run(activity)
                        try await consumer.ack(delivery.deliveryTag)
                    }
                case .cancelActivity(let cancel):
                    let found = cancellations.cancel(.init(workflowId: cancel.workflowId, attempt: cancel.attempt))
                    if found { logger.info("cancelling activity", metadata: ["workflow": "\(cancel.workflowId)"]) }
                    try await consumer.ack(delivery.deliveryTag)
                }
            }
        }
    }
}
