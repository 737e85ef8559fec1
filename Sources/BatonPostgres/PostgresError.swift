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
    /// The server did not answer a round trip within `PostgresTimeouts.roundTrip`; the
    /// session was dropped, and the statement's outcome is unknown (as with a lost one).
    case noAnswer(seconds: Double)

    public var description: String {
        switch self {
        case .connectionFailed(let reason):
            "cannot talk to PostgreSQL: \(reason); is it running, and is the URL right?"
        case .statementFailed(let sqlState, let message, let detail):
            "PostgreSQL error \(sqlState): \(message)" + (detail.map { " (\($0))" } ?? "")
        case .unexpectedResult(let reason):
            "unexpected PostgreSQL result: \(reason)"
        case .connectionClosed:
            "the PostgreSQL connection is closed"
        case .noAnswer(let seconds):
            "PostgreSQL did not answer within \(seconds.isFinite && seconds.rounded() == seconds ? "\(Int(seconds))" : "\(seconds)") s, so the session was dropped; the next statement opens a new one (is the server or the network to it stalled?)"
        }
    }

    /// SQLSTATE class 40 (serialization failure, deadlock) and lost connections can be retried.
    public var isTransient: Bool {
        switch self {
        case .connectionFailed, .connectionClosed, .noAnswer: true
        case .statementFailed(let sqlState, _, _):
            sqlState.hasPrefix("40") || sqlState.hasPrefix("08") || Self.transientStates.contains(sqlState)
        case .unexpectedResult: false
        }
    }

    /// A server that takes no writes now but will: 25006 (read-only: a standby, or a
    /// primary fenced during a failover; the session is then replaced, so that a
    /// multi-host URL with `target_session_attrs=read-write` finds the new primary) and
    /// 57P01-57P03 (shutting down, crashed, still starting). Treated as permanent, a
    /// fenced primary had the scheduler dead-letter every event it could not apply.
    static let transientStates: Set<String> = ["25006", "57P01", "57P02", "57P03"]

    /// A wait that ran out of its limit: a round trip or a pooled connection
    /// (`PostgresTimeouts.roundTrip`), or a connection attempt (libpq's `connect_timeout`).
    public var isTimeout: Bool {
        switch self {
        case .noAnswer: true
        case .connectionFailed(let reason): reason.contains("timeout expired")
        case .statementFailed, .unexpectedResult, .connectionClosed: false
        }
    }

    /// The session is gone with its transaction: lost, closed, or dropped for not answering.
    var endsSession: Bool {
        switch self {
        case .connectionFailed, .connectionClosed, .noAnswer: true
        case .statementFailed, .unexpectedResult: false
        }
    }

    /// True for a refusal because the session is read-only (SQLSTATE 25006).
    public var isReadOnly: Bool {
        if case .statementFailed("25006", _, _) = self { return true }
        return false
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
