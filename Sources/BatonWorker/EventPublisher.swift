import BatonAMQP
import BatonContracts
import Logging

/// Publishes a worker's events with publisher confirms, riding out broker outages.
///
/// `publish` returns once the broker holds the event durably. While the broker is
/// unreachable, callers wait (in order, one event each: the buffer is bounded by the
/// activities running) and the publisher reconnects with back-off; after
/// `maximumOutage` it gives up and throws, and the activity's command, never
/// acknowledged, is redelivered by the broker and handed back. An event is never
/// dropped silently.
actor EventPublisher {
    private let endpoint: AMQPEndpoint
    private let name: String
    private let queue: String
    private let maximumOutage: Duration
    private let prepare: @Sendable (AMQPConnection) async throws -> Void
    private let logger: Logger
    private var connection: AMQPConnection?
    private var connecting: Task<AMQPConnection, any Error>?

    init(
        endpoint: AMQPEndpoint, name: String, queue: String, maximumOutage: Duration, logger: Logger,
        prepare: @escaping @Sendable (AMQPConnection) async throws -> Void
    ) {
        self.endpoint = endpoint
        self.name = name
        self.queue = queue
        self.maximumOutage = maximumOutage
        self.logger = logger
        self.prepare = prepare
    }

    /// Connects once, so that a wrong URL or password is reported at start.
    func start() async throws {
        let connection = try await AMQPConnection.connect(to: endpoint, name: name)
        try await connection.enableConfirms()
        try await prepare(connection)
        self.connection = connection
    }

    func publish(_ event: WorkerEvent) async throws {
        try await publish([AMQPMessage(routingKey: queue, body: event.encoded())])
    }

    func publish(_ messages: [AMQPMessage]) async throws {
        var outageStart: ContinuousClock.Instant?
        var delay = Duration.milliseconds(100)
        while true {
            do {
                let connection = try await connected()
                try await connection.publish(messages)
                if outageStart != nil { logger.notice("broker reachable again; buffered events sent") }
                return
            } catch let error as CancellationError {
                throw error
            } catch {
                let start = outageStart ?? .now
                outageStart = start
                if ContinuousClock.now - start >= maximumOutage {
                    logger.error("giving up on the broker after \(maximumOutage)", metadata: ["error": "\(error)"])
                    throw error
                }
                logger.warning(
                    "cannot publish an event; reconnecting", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                await drop()
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// Services heartbeats on an idle connection; a broken one is replaced on next use.
    func keepAlive() async {
        guard let connection else { return }
        do {
            try await connection.keepAlive()
        } catch {
            logger.warning("event connection lost", metadata: ["error": "\(error)"])
            await drop()
        }
    }

    func close() async {
        await connection?.close()
        connection = nil
    }

    private func drop() async {
        await connection?.close()
        connection = nil
    }

    /// The open connection, or one shared reconnection attempt for every waiting caller.
    private func connected() async throws -> AMQPConnection {
        if let connection, await connection.isOpen { return connection }
        if let connecting { return try await connecting.value }
        let (endpoint, name, prepare) = (endpoint, name, prepare)
        let attempt = Task {
            let connection = try await AMQPConnection.connect(to: endpoint, name: name)
            try await connection.enableConfirms()
            try await prepare(connection)
            return connection
        }
        connecting = attempt
        defer { connecting = nil }
        let connection = try await attempt.value
        self.connection = connection
        return connection
    }
}
