/// A fixed number of connections shared by concurrent callers.
///
/// Connections open lazily up to `size`; a caller waits when all are leased, for one
/// round trip's limit at most (when every connection waits for a server that stopped
/// answering, its callers must not queue behind them without end). A connection that
/// failed is reset by libpq on its next statement.
public actor PostgresPool {
    private let connectionString: String
    private let size: Int
    private let name: String
    private let timeouts: PostgresTimeouts
    private var idle: [PostgresConnection] = []
    private var opened = 0
    private var waiters: [Waiter] = []
    private struct Waiter {
        var deadline: ContinuousClock.Instant?
        var caller: CheckedContinuation<PostgresConnection, any Error>
    }
    /// Fails the waiters whose deadline passed; runs only while some wait.
    private var sweeper: Task<Void, Never>?

    public init(
        connectionString: String, size: Int, name: String = "pool", timeouts: PostgresTimeouts = .standard
    ) {
        precondition(size > 0, "a pool needs at least one connection")
        self.connectionString = connectionString
        self.size = size
        self.name = name
        self.timeouts = timeouts
    }

    /// Runs `body` with a connection leased for its duration.
    public nonisolated func withConnection<T: Sendable>(
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await lease()
        do {
            let value = try await body(connection)
            await release(connection)
            return value
        } catch {
            await release(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction on a leased connection.
    public nonisolated func transaction<T: Sendable>(
        _ body: @Sendable (PostgresTransaction) throws -> T
    ) async throws -> T {
        try await withConnection { connection in try await connection.transaction(body) }
    }

    private func lease() async throws -> PostgresConnection {
        if let connection = idle.popLast() { return connection }
        if opened < size {
            opened += 1
            do {
                return try await PostgresConnection.connect(
                    connectionString, name: "\(name)-\(opened)", timeouts: timeouts)
            } catch {
                opened -= 1
                throw error
            }
        }
        return try await withCheckedThrowingContinuation { caller in
            waiters.append(Waiter(deadline: timeouts.roundTrip.map { .now + $0 }, caller: caller))
            if sweeper == nil && timeouts.roundTrip != nil {
                sweeper = Task { await self.sweep() }
            }
        }
    }

    /// Waiters are in deadline order (one limit for all): the first is the next to expire.
    private func sweep() async {
        while let deadline = waiters.first?.deadline {
            if deadline > .now {
                try? await Task.sleep(until: deadline)
                continue
            }
            waiters.removeFirst().caller.resume(throwing: timeouts.noAnswer)
        }
        sweeper = nil
    }

    private func release(_ connection: PostgresConnection) {
        if waiters.isEmpty {
            idle.append(connection)
        } else {
            waiters.removeFirst().caller.resume(returning: connection)
        }
    }

    /// Closes the idle connections.
    public func close() async {
        for connection in idle { await connection.close() }
        idle.removeAll()
    }
}
