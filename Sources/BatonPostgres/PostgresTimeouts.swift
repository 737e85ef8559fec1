/// How long a connection waits for PostgreSQL before it gives up.
///
/// libpq waits forever by default: a server that stopped answering (a hung host, a
/// network path that drops packets, a stopped process) wedged every caller of the
/// connection while the daemon still looked alive. With these limits such a session is
/// dropped, the call fails as transient, and the next statement opens a new session.
public struct PostgresTimeouts: Sendable, Hashable {
    /// Opening a session, per host of the URL (libpq's `connect_timeout`; a URL that sets
    /// its own wins). libpq rounds it up to whole seconds, at least 2.
    public var connect: Duration
    /// One round trip: a statement, or a pipeline of them, until its last answer. nil:
    /// no limit, for work that may rightly take long (migrations, whose index builds do).
    public var roundTrip: Duration?

    public init(connect: Duration, roundTrip: Duration?) {
        self.connect = connect
        self.roundTrip = roundTrip
    }

    /// The error of a round trip, or of a wait for a pooled connection, past `roundTrip`.
    var noAnswer: PostgresError {
        let limit = roundTrip ?? .zero
        return .noAnswer(seconds: Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18)
    }

    /// What a connection gets unless told otherwise (tools, tests); the scheduler's come
    /// from its configuration (`postgres_timeout_seconds`).
    public static let standard = PostgresTimeouts(connect: .seconds(10), roundTrip: .seconds(30))
    /// Schema changes: connected within the standard time, then as long as they take.
    public static let unbounded = PostgresTimeouts(connect: .seconds(10), roundTrip: nil)
}
