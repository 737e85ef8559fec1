/// Publishes with publisher confirms, riding out broker outages.
///
/// `publish` returns once the broker holds the messages durably. Callers that publish
/// while a batch is in flight are sent together as the next batch, with one wait for
/// all their confirms (group commit): sixteen activities checkpointing at once cost
/// one confirm round trip, not sixteen in a row. Each caller's messages keep their
/// order. While the broker is unreachable, callers wait (each with its own messages,
/// so the buffer is bounded by the callers) and the publisher reconnects with
/// back-off; after `maximumOutage` it gives up and throws the last error to the
/// batch. A message is never dropped silently.
public actor ReconnectingPublisher {
    private let endpoint: AMQPEndpoint
    private let name: String
    private let maximumOutage: Duration
    private let prepare: @Sendable (AMQPConnection) async throws -> Void
    private let log: @Sendable (String) -> Void
    private var connection: AMQPConnection?
    private var connecting: Task<AMQPConnection, any Error>?
    private var queued: [(messages: [AMQPMessage], caller: CheckedContinuation<Void, any Error>)] = []
    private var flushing = false

    /// `prepare` runs on every new connection (declare what it publishes to); `log`
    /// receives one line per outage event.
    public init(
        endpoint: AMQPEndpoint, name: String, maximumOutage: Duration,
        log: @escaping @Sendable (String) -> Void = { _ in },
        prepare: @escaping @Sendable (AMQPConnection) async throws -> Void = { _ in }
    ) {
        self.endpoint = endpoint
        self.name = name
        self.maximumOutage = maximumOutage
        self.log = log
        self.prepare = prepare
    }

    /// Connects once, so that a wrong URL or password is reported at start.
    public func start() async throws {
        let connection = try await AMQPConnection.connect(to: endpoint, name: name)
        try await connection.enableConfirms()
        try await prepare(connection)
        self.connection = connection
    }

    public func publish(_ messages: [AMQPMessage]) async throws {
        guard !messages.isEmpty else { return }
        try await withCheckedThrowingContinuation { caller in
            queued.append((messages, caller))
            if !flushing {
                flushing = true
                Task { await flush() }
            }
        }
    }

    /// Sends what callers queued, batch after batch, until nothing waits.
    private func flush() async {
        while !queued.isEmpty {
            let batch = queued
            queued.removeAll()
            do {
                try await publishRetrying(batch.flatMap(\.messages))
                for entry in batch { entry.caller.resume() }
            } catch {
                for entry in batch { entry.caller.resume(throwing: error) }
            }
        }
        flushing = false
    }

    private func publishRetrying(_ messages: [AMQPMessage]) async throws {
        var outageStart: ContinuousClock.Instant?
        var delay = Duration.milliseconds(100)
        while true {
            var used: AMQPConnection?
            do {
                let connection = try await connected()
                used = connection
                try await connection.publish(messages)
                if outageStart != nil { log("broker reachable again; held messages sent") }
                return
            } catch let error as CancellationError {
                throw error
            } catch {
                let start = outageStart ?? .now
                outageStart = start
                if ContinuousClock.now - start >= maximumOutage {
                    log("giving up on the broker after \(maximumOutage): \(error)")
                    throw error
                }
                log("cannot publish (\(error)); reconnecting in \(delay)")
                await drop(used)
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// Services heartbeats on an idle connection; a broken one is replaced on next use.
    public func keepAlive() async {
        guard let connection else { return }
        do {
            try await connection.keepAlive()
        } catch {
            log("publishing connection lost: \(error)")
            await drop(connection)
        }
    }

    public func close() async {
        await connection?.close()
        connection = nil
    }

    /// Forgets `failed` if it is still the current connection (another caller may have
    /// replaced it already, and must not lose its fresh one).
    private func drop(_ failed: AMQPConnection?) async {
        guard let failed else { return }
        await failed.close()
        if connection === failed { connection = nil }
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
