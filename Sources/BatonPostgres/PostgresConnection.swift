import CPostgres
import Foundation
import ThreadConfinement

/// One libpq connection, confined to a thread of its own.
///
/// Parameters always travel separately from the SQL text, so values are never spliced
/// into SQL. A statement with parameters is prepared on first use and executed by name
/// afterwards (`PQprepare`/`PQexecPrepared`): the scheduler runs the same few
/// statements thousands of times a second, and PostgreSQL then parses and plans each
/// once per connection. Methods are synchronous on the
/// actor's thread; group several into one transaction with `transaction(_:)`, whose
/// body runs isolated to the connection and so cannot interleave with other callers.
///
/// The socket is non-blocking and every wait for the server has a deadline
/// (`PostgresTimeouts`): a server that stops answering costs a caller one round trip's
/// limit, then the session is dropped and the next statement opens another.
public actor PostgresConnection {
    private let executor: DedicatedThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private var connection: OpaquePointer?
    private let connectionString: String
    private let name: String
    private let timeouts: PostgresTimeouts
    /// A round trip ran out of time: whatever the server sends next belongs to it, so the
    /// session cannot be used again and is replaced before the next statement.
    private var sessionIsAbandoned = false
    /// Prepared statements of this session, by SQL text and parameter types.
    private var prepared: [PreparedKey: String] = [:]
    private struct PreparedKey: Hashable {
        var sql: String
        var types: [Oid]
    }
    /// Between `BEGIN` and its end: a statement that fails then must not be retried.
    /// The server refused a write as read-only (a standby, a fenced primary): the next
    /// statement starts a new session, which a multi-host URL may place elsewhere.
    private var sessionIsReadOnly = false
    private var inTransaction = false
    /// In `transaction(_:)`, before its first statement: `BEGIN` goes out with that
    /// statement, in its round trip, and a body that runs nothing costs nothing.
    private var beginPending = false
    /// In `transaction(_:)`: statements that go out with the `COMMIT`, in its round trip.
    private var sentWithCommit: [PostgresQuery] = []
    private var inTransactionBody = false
    /// Statements built from varying parts could grow the cache without bound; past
    /// this many, new ones run unprepared.
    private static let preparedLimit = 512

    private init(connectionString: String, name: String, timeouts: PostgresTimeouts) {
        self.connectionString = connectionString
        self.name = name
        self.timeouts = timeouts
        self.executor = DedicatedThreadExecutor(name: "pg-\(name)")
    }

    /// Connects with a libpq connection string (`postgresql://…` URL or `key=value` pairs).
    /// `name` shows in `pg_stat_activity.application_name` as `baton-<name>`.
    public static func connect(
        _ connectionString: String, name: String, timeouts: PostgresTimeouts = .standard
    ) async throws(PostgresError)
        -> PostgresConnection
    {
        let connection = PostgresConnection(connectionString: connectionString, name: name, timeouts: timeouts)
        try await connection.open()
        return connection
    }

    isolated deinit {
        if let connection { PQfinish(connection) }
        executor.shutdown()
    }

    private func open() throws(PostgresError) {
        // Settings travel in the startup packet, so that the sessions `PQreset` opens
        // later have them too. The URL comes last: what it sets itself wins.
        let seconds = timeouts.connect.components.seconds + (timeouts.connect.components.attoseconds > 0 ? 1 : 0)
        let settings: [(String, String)] = [
            ("connect_timeout", "\(max(seconds, 1))"),
            ("application_name", "baton-\(name)"),
            // libpq prints NOTICEs ("already exists, skipping") to stderr: warnings and up only.
            ("options", "-c client_min_messages=warning"),
            ("dbname", connectionString),
        ]
        let keywords = settings.map { strdup($0.0) }
        let values = settings.map { strdup($0.1) }
        defer { (keywords + values).forEach { free($0) } }
        let connection = (keywords.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { keywords in
            (values.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { values in
                PQconnectdbParams(keywords.baseAddress, values.baseAddress, 1)
            }
        }
        guard let connection, PQstatus(connection) == CONNECTION_OK, PQsetnonblocking(connection, 1) == 0 else {
            let reason = connection.map { Self.message(PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(connection)
            throw .connectionFailed(reason: reason)
        }
        self.connection = connection
    }

    /// Closes the connection. Safe to call more than once.
    public func close() {
        if let connection { PQfinish(connection) }
        connection = nil
    }

    /// Runs one statement; its interpolated values are bound as typed parameters.
    @discardableResult
    public func query(_ query: PostgresQuery) throws(PostgresError) -> PostgresRows {
        if beginPending { return try pipeline([query])[0] }
        let (sql, parameters) = (query.sql, query.bindings)
        let rows: PostgresRows
        do {
            rows = try run(sql, parameters, prepared: !query.plannedEachTime)
        } catch .connectionFailed(let reason) where !inTransaction && Self.isSafeToRetry(sql) {
            // An idle connection whose server went away (a restart, an outage that ended)
            // only says so at its next statement: reconnect and run that statement again,
            // which is safe for a read or a BEGIN outside a transaction.
            _ = reason
            rows = try run(sql, parameters, prepared: !query.plannedEachTime)
        } catch {
            if error.endsSession { inTransaction = false }  // the session, and its transaction, are gone
            throw error
        }
        switch sql {
        case "BEGIN": inTransaction = true
        case "COMMIT", "ROLLBACK": inTransaction = false
        default: break
        }
        return rows
    }

    private static func isSafeToRetry(_ sql: String) -> Bool {
        sql == "BEGIN" || sql.hasPrefix("SELECT")
    }

    private func run(
        _ sql: String, _ parameters: [PostgresBinding], prepared: Bool
    ) throws(PostgresError) -> PostgresRows {
        guard let connection else { throw .connectionClosed }
        try reconnectIfNeeded(connection)
        let deadline = roundTripDeadline()
        let result = try execute(connection, sql, parameters, prepared: prepared, until: deadline)
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return Self.rows(of: result)
        default:
            let error = Self.error(of: result, on: connection)
            if error.isReadOnly { sessionIsReadOnly = true }
            throw error
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    ///
    /// `BEGIN` travels with the body's first statement and `COMMIT` with the statements
    /// the body left for it (`PostgresTransaction.sendWithCommit(_:)`), so a body that
    /// reads once and writes at the end costs two round trips.
    public func transaction<T: Sendable>(_ body: @Sendable (PostgresTransaction) throws -> T) throws -> T {
        beginPending = true
        sentWithCommit = []
        inTransactionBody = true
        defer { inTransactionBody = false }
        do {
            let value = try body(PostgresTransaction(self))
            let statements = sentWithCommit
            sentWithCommit = []
            if beginPending && statements.isEmpty {
                beginPending = false  // nothing ran: nothing to commit
            } else {
                _ = try pipeline(statements + ["COMMIT"])
            }
            return value
        } catch {
            beginPending = false
            sentWithCommit = []
            if inTransaction, !sessionIsAbandoned, let connection, PQstatus(connection) == CONNECTION_OK {
                _ = try? query("ROLLBACK")
            }
            inTransaction = false
            throw error
        }
    }

    /// Leaves `statements` to be sent with the transaction's `COMMIT`; outside a
    /// transaction runs them now.
    func sendWithCommit(_ statements: [PostgresQuery]) throws(PostgresError) {
        if inTransactionBody {
            sentWithCommit += statements
        } else if !statements.isEmpty {
            _ = try pipeline(statements)
        }
    }

    /// Runs `queries` in one round trip (libpq's pipeline mode) and returns each one's
    /// rows. The first that fails throws, and the ones after it do not run; in a
    /// transaction the transaction has then failed.
    public func pipeline(_ queries: [PostgresQuery]) throws(PostgresError) -> [PostgresRows] {
        let opens = beginPending
        beginPending = false
        let sent = opens ? ["BEGIN"] + queries : queries
        guard !sent.isEmpty else { return [] }
        var results: [PostgresRows]
        do {
            results = try runPipeline(sent)
        } catch .connectionFailed(let reason) where opens && !sent.contains(where: { $0.sql == "COMMIT" }) {
            // As in `query(_:)`: the first statements of a transaction on a connection
            // whose server went away meanwhile; the old session's transaction is gone.
            _ = reason
            do {
                results = try runPipeline(sent)
            } catch {
                inTransaction = false
                throw error
            }
        } catch {
            if error.endsSession {
                inTransaction = false
            } else if opens {
                // A failed statement leaves a transaction that BEGIN opened open (aborted),
                // and one whose COMMIT did not run; it is rolled back by the caller.
                inTransaction = true
            }
            throw error
        }
        for query in sent {
            switch query.sql {
            case "BEGIN": inTransaction = true
            case "COMMIT", "ROLLBACK": inTransaction = false
            default: break
            }
        }
        if opens { results.removeFirst() }
        return results
    }

    private func runPipeline(_ queries: [PostgresQuery]) throws(PostgresError) -> [PostgresRows] {
        guard let connection else { throw .connectionClosed }
        try reconnectIfNeeded(connection)
        let deadline = roundTripDeadline()
        // Prepared first: a statement is prepared outside pipeline mode, in a round trip of its own.
        var names: [String?] = []
        for query in queries {
            let types = query.bindings.map { Oid($0.type.oid) }
            let prepare = !query.bindings.isEmpty && !query.plannedEachTime
            names.append(prepare ? try statementName(connection, query.sql, types: types, until: deadline) : nil)
        }
        guard PQenterPipelineMode(connection) == 1 else {
            throw .connectionFailed(reason: Self.message(PQerrorMessage(connection)))
        }
        defer {
            // An abandoned session is replaced, pipeline and all; waiting for its answers would hang.
            if !sessionIsAbandoned && PQexitPipelineMode(connection) != 1 {
                do {
                    while let result = try nextResult(connection, until: deadline) { PQclear(result) }
                } catch {
                    sessionIsAbandoned = true
                }
                _ = PQexitPipelineMode(connection)
            }
        }
        for (query, name) in zip(queries, names) {
            guard send(connection, query, preparedAs: name) == 1 else {
                throw .connectionFailed(reason: Self.message(PQerrorMessage(connection)))
            }
        }
        guard PQpipelineSync(connection) == 1 else {
            throw .connectionFailed(reason: Self.message(PQerrorMessage(connection)))
        }
        var rows: [PostgresRows] = []
        var failure: PostgresError?
        for _ in queries {
            guard let result = try nextResult(connection, until: deadline) else {
                throw .connectionFailed(reason: Self.message(PQerrorMessage(connection)))
            }
            switch PQresultStatus(result) {
            case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
                rows.append(Self.rows(of: result))
            case PGRES_PIPELINE_ABORTED:
                rows.append(PostgresRows(columns: [], rows: [], affectedRows: 0))
            default:
                failure = failure ?? Self.error(of: result, on: connection)
                rows.append(PostgresRows(columns: [], rows: [], affectedRows: 0))
            }
            PQclear(result)
            // Each query's results end with NULL.
            while let end = try nextResult(connection, until: deadline) { PQclear(end) }
        }
        if let sync = try nextResult(connection, until: deadline) { PQclear(sync) }
        if PQstatus(connection) != CONNECTION_OK {
            throw .connectionFailed(reason: Self.message(PQerrorMessage(connection)))
        }
        if let failure {
            if failure.isReadOnly { sessionIsReadOnly = true }
            throw failure
        }
        return rows
    }

    private func send(_ connection: OpaquePointer, _ query: PostgresQuery, preparedAs name: String?) -> Int32 {
        let types = query.bindings.map { Oid($0.type.oid) }
        return Self.withValues(of: query.bindings) { count, values in
            if let name { return PQsendQueryPrepared(connection, name, count, values, nil, nil, 0) }
            return types.withUnsafeBufferPointer { types in
                PQsendQueryParams(connection, query.sql, count, types.baseAddress, values, nil, nil, 0)
            }
        }
    }

    private func reconnectIfNeeded(_ connection: OpaquePointer) throws(PostgresError) {
        // Never inside a transaction: its statements must all run in one session (an
        // abandoned session's transaction is gone anyway).
        guard
            sessionIsAbandoned || PQstatus(connection) != CONNECTION_OK || (sessionIsReadOnly && !inTransaction)
        else { return }
        // The server went away since the last statement, took no writes, or did not
        // answer in time: try once to come back, on whichever host the URL's rules pick
        // now. `PQreset` waits at most `connect_timeout` per host.
        sessionIsReadOnly = false
        sessionIsAbandoned = false
        PQreset(connection)
        prepared.removeAll()  // a new session has none
        guard PQstatus(connection) == CONNECTION_OK, PQsetnonblocking(connection, 1) == 0 else {
            throw .connectionFailed(reason: Self.message(PQerrorMessage(connection)))
        }
    }

    private func roundTripDeadline() -> ContinuousClock.Instant? {
        timeouts.roundTrip.map { .now + $0 }
    }

    /// The next result of what was sent, NULL after each statement's last one, waiting
    /// for the server until `deadline` at most.
    private func nextResult(
        _ connection: OpaquePointer, until deadline: ContinuousClock.Instant?
    ) throws(PostgresError) -> OpaquePointer? {
        while true {
            let flushed = PQflush(connection)  // 0: all sent, 1: more to send, -1: failed
            guard flushed >= 0 else { throw .connectionFailed(reason: Self.message(PQerrorMessage(connection))) }
            // PQgetResult blocks only while libpq has not read the whole next result.
            if flushed == 0 && PQisBusy(connection) == 0 { return PQgetResult(connection) }
            try waitForSocket(connection, writable: flushed == 1, until: deadline)
            guard PQconsumeInput(connection) == 1 else {
                throw .connectionFailed(reason: Self.message(PQerrorMessage(connection)))
            }
        }
    }

    /// Waits until the socket can be read (or written, while a request is still being
    /// sent: the server may be waiting for us to read before it reads more).
    private func waitForSocket(
        _ connection: OpaquePointer, writable: Bool, until deadline: ContinuousClock.Instant?
    ) throws(PostgresError) {
        let socket = PQsocket(connection)
        guard socket >= 0 else { throw .connectionFailed(reason: Self.message(PQerrorMessage(connection))) }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN) | (writable ? Int16(POLLOUT) : 0), revents: 0)
        while true {
            var milliseconds: Int32 = -1
            if let deadline {
                let remaining = deadline - .now
                guard remaining > .zero else { throw abandonSession() }
                let (seconds, attoseconds) = remaining.components
                milliseconds = Int32(clamping: seconds * 1_000 + attoseconds / 1_000_000_000_000_000 + 1)
            }
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR {
                throw .connectionFailed(reason: "waiting for the server failed: \(String(cString: strerror(errno)))")
            }
        }
    }

    private func abandonSession() -> PostgresError {
        sessionIsAbandoned = true
        inTransaction = false
        return timeouts.noAnswer
    }

    private static func error(of result: OpaquePointer, on connection: OpaquePointer) -> PostgresError {
        if PQstatus(connection) != CONNECTION_OK {
            return .connectionFailed(reason: Self.message(PQerrorMessage(connection)))
        }
        let field = { (code: Character) -> String? in
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        return .statementFailed(
            sqlState: field("C") ?? "?????", message: field("M") ?? Self.message(PQresultErrorMessage(result)),
            detail: field("D"))
    }

    /// Sends one statement and returns its result (the caller clears it).
    private func execute(
        _ connection: OpaquePointer, _ sql: String, _ parameters: [PostgresBinding], prepared: Bool,
        until deadline: ContinuousClock.Instant?
    ) throws(PostgresError) -> OpaquePointer {
        let types = parameters.map { Oid($0.type.oid) }
        let name =
            parameters.isEmpty || !prepared
            ? nil : try statementName(connection, sql, types: types, until: deadline)
        let sent = Self.withValues(of: parameters) { count, values in
            if let name { return PQsendQueryPrepared(connection, name, count, values, nil, nil, 0) }
            return types.withUnsafeBufferPointer { types in
                PQsendQueryParams(connection, sql, count, types.baseAddress, values, nil, nil, 0)
            }
        }
        guard sent == 1 else { throw .connectionFailed(reason: Self.message(PQerrorMessage(connection))) }
        return try onlyResult(connection, until: deadline)
    }

    /// The result of the one statement sent, after reading the NULL that ends it.
    private func onlyResult(
        _ connection: OpaquePointer, until deadline: ContinuousClock.Instant?
    ) throws(PostgresError) -> OpaquePointer {
        guard let result = try nextResult(connection, until: deadline) else {
            throw .connectionFailed(reason: Self.message(PQerrorMessage(connection)))
        }
        do {
            while let extra = try nextResult(connection, until: deadline) { PQclear(extra) }
        } catch {
            PQclear(result)
            throw error
        }
        return result
    }

    /// The parameters as libpq takes them: C strings (NULL for SQL NULL) that live for
    /// the call. strdup'd copies outlive it; Swift's temporary C strings would not.
    private static func withValues<R>(
        of parameters: [PostgresBinding],
        _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> R
    ) -> R {
        let values: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.text.flatMap { strdup($0) } }
        defer { values.forEach { free($0) } }
        return values.map { UnsafePointer($0) }.withUnsafeBufferPointer { body(Int32(values.count), $0.baseAddress) }
    }

    /// The prepared statement for `sql` with parameters of `types`, preparing it now if
    /// needed; nil past the cache's limit.
    private func statementName(
        _ connection: OpaquePointer, _ sql: String, types: [Oid], until deadline: ContinuousClock.Instant?
    ) throws(PostgresError) -> String? {
        // One SQL text may be run with NULLs bound as another type: the key has both.
        let key = PreparedKey(sql: sql, types: types)
        if let name = prepared[key] { return name }
        guard prepared.count < Self.preparedLimit else { return nil }
        let name = "baton_\(prepared.count + 1)"
        let sent = types.withUnsafeBufferPointer { types in
            PQsendPrepare(connection, name, sql, Int32(types.count), types.baseAddress)
        }
        guard sent == 1 else { throw .connectionFailed(reason: Self.message(PQerrorMessage(connection))) }
        let result = try onlyResult(connection, until: deadline)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COMMAND_OK else {
            // Not cached: the statement runs unprepared and reports its own error.
            return nil
        }
        prepared[key] = name
        return name
    }

    private static func rows(of result: OpaquePointer) -> PostgresRows {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            rows.append(
                (0..<columnCount).map { column in
                    PQgetisnull(result, Int32(row), Int32(column)) != 0
                        ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
                })
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(columns: columns, rows: rows, affectedRows: affected)
    }

    private static func message(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown error" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
