import BatonPostgres
import Foundation
import Glibc
import Testing

/// A server that stops answering costs a caller one round trip's limit, not forever:
/// the session is dropped and the next statement opens another. libpq waits without
/// end by default, and a stalled database wedged the scheduler while it looked alive.
@Suite(.timeLimit(.minutes(2))) struct PostgresTimeoutTests {
    static let timeouts = PostgresTimeouts(connect: .seconds(5), roundTrip: .seconds(1))

    static func backend(_ db: PostgresConnection) async throws -> String {
        try #require(try await db.query("SELECT pg_backend_pid() AS pid").first?["pid"])
    }

    /// pg_sleep stands in for a server that does not answer: the round trip ends at its
    /// limit, whichever way the statement travelled, and the session after it is new and
    /// has the connection's settings (they travel in the startup packet, not as SETs a
    /// reset session would lose).
    @Test func aRoundTripWithoutAnAnswerEndsAtItsLimitAndTheNextRunsOnANewSession() async throws {
        let url = try await TestServices.freshDatabase()
        let db = try await PostgresConnection.connect(url, name: "stalled", timeouts: Self.timeouts)
        let stalls: [(String, @Sendable (PostgresConnection) async throws -> Void)] = [
            ("a statement", { try await $0.query("SELECT pg_sleep(10)") }),
            ("a prepared statement", { try await $0.query("SELECT pg_sleep(\(10.0))") }),
            ("a pipeline", { _ = try await $0.pipeline(["SELECT 1", "SELECT pg_sleep(10)", "SELECT 2"]) }),
            (
                "a transaction",
                {
                    try await $0.transaction { transaction in
                        try transaction.query("SELECT 1")
                        try transaction.query("SELECT pg_sleep(10)")
                    }
                }
            ),
        ]
        for (kind, stall) in stalls {
            let before = try await Self.backend(db)
            await #expect(throws: PostgresError.noAnswer(seconds: 1), "\(kind)") { try await stall(db) }
            let after = try await Self.backend(db)
            #expect(after != before, "\(kind) left its session in use")
            let settings = try await db.query(
                "SELECT current_setting('application_name') AS name, current_setting('client_min_messages') AS level")
            #expect(settings.first?["name"] == "baton-stalled")
            #expect(settings.first?["level"] == "warning")
        }
        // The error says what happened and that it is worth retrying.
        #expect(PostgresError.noAnswer(seconds: 1).isTransient)
        #expect(PostgresError.noAnswer(seconds: 1).isTimeout)  // not tried again at once
        #expect(PostgresError.noAnswer(seconds: 1).description.contains("did not answer within 1 s"))
        await db.close()
    }

    /// A listener that accepts and never answers, as a hung host's kernel does: the
    /// connection attempt ends at `connect`, with libpq's reason.
    @Test func aServerThatAcceptsButNeverAnswersIsNotConnectedForever() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let url = "postgresql://nobody@127.0.0.1:\(listener.port)/nothing"
        do {
            _ = try await PostgresConnection.connect(
                url, name: "silent", timeouts: PostgresTimeouts(connect: .seconds(2), roundTrip: .seconds(2)))
            Issue.record("connected to a server that never answered")
        } catch {
            #expect(error.isTransient)
            #expect(error.isTimeout)
            #expect(error.description.contains("timeout"), "\(error)")
        }
    }

    /// Migrations have no round-trip limit: a long statement runs to its end.
    @Test func anUnboundedConnectionWaitsForALongStatement() async throws {
        let url = try await TestServices.freshDatabase()
        let db = try await PostgresConnection.connect(
            url, name: "unbounded", timeouts: PostgresTimeouts(connect: .seconds(5), roundTrip: nil))
        let rows = try await db.query("SELECT pg_sleep(1.5), 'done' AS outcome")
        #expect(rows.first?["outcome"] == "done")
        await db.close()
    }
}

/// A loopback TCP port that completes handshakes (the kernel's backlog) and never reads.
final class SilentListener: Sendable {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && listen(descriptor, 16) == 0
                    && getsockname(descriptor, address, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(descriptor)
            throw POSIXError(.EADDRINUSE)
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { Glibc.close(descriptor) }
}
