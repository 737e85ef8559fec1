/// A fixed number of connections shared by concurrent callers.
///
/// Connections open lazily up to `size`; a caller waits when all are leased. A
/// connection that failed is reset by libpq on its next statement.
public actor PostgresPool {
    private let connectionString: String
    private let size: Int
    private let name: String
    private var idle: [PostgresConnection] = []
    private var opened = 0
    private var waiters: [CheckedContinuation<PostgresConnection, Never>] = []

    public init(connectionString: String, size: Int, name: String = "pool") {
        precondition(size > 0, "a pool needs at least one connection")
        self.connectionString = connectionString
        self.size = size
        self.name = name
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
                return try await PostgresConnection.connect(connectionString, name: "\(name)-\(opened)")
            } catch {
                opened -= 1
                throw error
            }
        }
        return await withCheckedContinuation { waiters.append($0) }
    }

    private func release(_ connection: PostgresConnection) {
        if waiters.isEmpty {
            idle.append(connection)
        } else {
            waiters.removeFirst().resume(returning: connection)
        }
    }

    /// Closes the idle connections.
    public func close() async {
        for connection in idle { await connection.close() }
        idle.removeAll()
    }
}
