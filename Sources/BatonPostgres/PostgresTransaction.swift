/// A connection inside one of its transactions, for code that is not itself isolated
/// to the connection: a repository behind a protocol, which an in-memory stand-in
/// implements as well.
///
/// Made only by `PostgresConnection.transaction(_:)` and `PostgresPool.transaction(_:)`
/// and valid only in their body, which runs on the connection's thread; it is not
/// `Sendable`, so it cannot leave that thread.
public struct PostgresTransaction {
    private let connection: PostgresConnection

    init(_ connection: isolated PostgresConnection) {
        self.connection = connection
    }

    @discardableResult
    public func query(_ query: PostgresQuery) throws(PostgresError) -> PostgresRows {
        try onConnection { (connection) throws(PostgresError) in try connection.query(query) }
    }

    /// Runs `queries` in one round trip; see `PostgresConnection.pipeline(_:)`.
    @discardableResult
    public func pipeline(_ queries: [PostgresQuery]) throws(PostgresError) -> [PostgresRows] {
        try onConnection { (connection) throws(PostgresError) in try connection.pipeline(queries) }
    }

    /// Sends `statements` with the transaction's `COMMIT`, in its round trip: writes
    /// whose results nobody reads. Their failure fails the commit (and the transaction).
    public func sendWithCommit(_ statements: [PostgresQuery]) throws(PostgresError) {
        try onConnection { (connection) throws(PostgresError) in try connection.sendWithCommit(statements) }
    }

    /// The body this handle was given to runs isolated to the connection: checked, not assumed.
    private func onConnection<T: Sendable>(
        _ body: @Sendable (isolated PostgresConnection) throws(PostgresError) -> T
    ) throws(PostgresError) -> T {
        let result: Result<T, PostgresError> = connection.assumeIsolated { connection in
            do throws(PostgresError) {
                return .success(try body(connection))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

extension PostgresConnection {
    /// Runs `body` with each of its statements committing on its own: for reads that
    /// need no snapshot across statements, without the round trips of BEGIN and COMMIT.
    public func autocommit<T: Sendable>(_ body: @Sendable (PostgresTransaction) throws -> T) throws -> T {
        try body(PostgresTransaction(self))
    }
}

extension PostgresPool {
    /// `PostgresConnection.autocommit(_:)` on a leased connection.
    public nonisolated func autocommit<T: Sendable>(
        _ body: @Sendable (PostgresTransaction) throws -> T
    ) async throws -> T {
        try await withConnection { connection in try await connection.autocommit(body) }
    }
}
