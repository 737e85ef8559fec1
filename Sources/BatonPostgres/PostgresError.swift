/// What went wrong talking to PostgreSQL, with libpq's or the server's own text.
/// Never contains the connection string (it may hold a password).
public enum PostgresError: Error, Equatable, CustomStringConvertible {
    /// The connection could not be opened or was lost.
    case connectionFailed(reason: String)
    /// The server rejected a statement. `sqlState` is the five-character SQLSTATE code.
    case statementFailed(sqlState: String, message: String, detail: String?)
    /// A result did not have the shape the caller expected.
    case unexpectedResult(String)
    /// The connection was closed.
    case connectionClosed

    public var description: String {
        switch self {
        case .connectionFailed(let reason):
            "cannot talk to PostgreSQL: \(reason); is it running (make services-start) and is the URL right?"
        case .statementFailed(let sqlState, let message, let detail):
            "PostgreSQL error \(sqlState): \(message)" + (detail.map { " (\($0))" } ?? "")
        case .unexpectedResult(let reason):
            "unexpected PostgreSQL result: \(reason)"
        case .connectionClosed:
            "the PostgreSQL connection is closed"
        }
    }

    /// SQLSTATE class 40 (serialization failure, deadlock) and lost connections can be retried.
    public var isTransient: Bool {
        switch self {
        case .connectionFailed, .connectionClosed: true
        case .statementFailed(let sqlState, _, _): sqlState.hasPrefix("40") || sqlState.hasPrefix("08")
        case .unexpectedResult: false
        }
    }

    /// A connection refused for a reason retrying will not fix: wrong password, unknown
    /// database or user (libpq reports these as failed connections too).
    public var isConfigurationError: Bool {
        guard case .connectionFailed(let reason) = self else { return false }
        return [
            "password authentication failed", "does not exist", "no pg_hba.conf entry", "invalid connection option",
        ]
        .contains { reason.contains($0) }
    }

    /// True for a unique-constraint violation (SQLSTATE 23505).
    public var isUniqueViolation: Bool {
        if case .statementFailed("23505", _, _) = self { return true }
        return false
    }
}
