import BatonPostgres
import Foundation
import Testing

/// Statements sent together: pipelines, `BEGIN` with the first statement, writes with
/// the `COMMIT` (what lets the scheduler apply a batch of events in two round trips).
@Suite struct PostgresPipelineTests {
    @Test func aPipelineAnswersEachStatementInOrder() async throws {
        let db = try await TestServices.connectOrExplain(try await TestServices.freshDatabase())
        try await db.query("CREATE TABLE t (id int PRIMARY KEY, note text)")
        let results = try await db.pipeline([
            "INSERT INTO t VALUES (\(1), \("one")), (\(2), \(nil as String?))",
            "SELECT count(*) AS n FROM t",
            "SELECT note FROM t WHERE id = \(1)",
        ])
        #expect(results.count == 3)
        #expect(results[0].affectedRows == 2)
        #expect(results[1].first?["n"] == "2")
        #expect(results[2].first?["note"] == "one")
        await db.close()
    }

    /// The first failure is what is thrown; in a transaction nothing of it stays, and
    /// the connection serves the next caller.
    @Test func aFailedStatementStopsThePipelineAndItsTransaction() async throws {
        let db = try await TestServices.connectOrExplain(try await TestServices.freshDatabase())
        try await db.query("CREATE TABLE t (id int PRIMARY KEY)")
        do {
            try await db.transaction { tx in
                try tx.pipeline(["INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)"])
            }
            Issue.record("a duplicate key passed")
        } catch {
            #expect((error as? PostgresError)?.isUniqueViolation == true)
        }
        #expect(try await db.query("SELECT count(*) AS n FROM t").first?["n"] == "0")
        #expect(try await db.pipeline(["SELECT \(1) + 1 AS two"]).first?.first?["two"] == "2")
        await db.close()
    }

    @Test func writesSentWithTheCommitCommitWithItOrFailIt() async throws {
        let db = try await TestServices.connectOrExplain(try await TestServices.freshDatabase())
        try await db.query("CREATE TABLE t (id int PRIMARY KEY)")
        try await db.transaction { tx in
            try tx.query("INSERT INTO t VALUES (1)")
            try tx.sendWithCommit(["INSERT INTO t VALUES (2)", "INSERT INTO t VALUES (3)"])
        }
        #expect(try await db.query("SELECT count(*) AS n FROM t").first?["n"] == "3")
        do {
            try await db.transaction { tx in
                try tx.query("INSERT INTO t VALUES (4)")
                try tx.sendWithCommit(["INSERT INTO t VALUES (1)"])  // a duplicate: the commit fails
            }
            Issue.record("a duplicate key passed")
        } catch {
            #expect((error as? PostgresError)?.isUniqueViolation == true)
        }
        #expect(try await db.query("SELECT count(*) AS n FROM t").first?["n"] == "3")
        // A body that runs nothing sends nothing and fails nothing.
        try await db.transaction { _ in }
        #expect(try await db.query("SELECT count(*) AS n FROM t").first?["n"] == "3")
        await db.close()
    }

    /// `BEGIN` travels with the first statement; when the server went away while the
    /// connection was idle, that first round trip reconnects and runs again.
    @Test func aTransactionsFirstRoundTripSurvivesASessionThatDiedWhileIdle() async throws {
        let db = try await TestServices.connectOrExplain(try await TestServices.freshDatabase())
        let admin = try await TestServices.connectOrExplain(TestServices.postgresURL)
        let pid = try #require(try await db.query("SELECT pg_backend_pid() AS pid").first?["pid"])
        try await admin.query("SELECT pg_terminate_backend(\(Int(pid) ?? 0)::int)")
        try await Task.sleep(for: .milliseconds(200))
        let one = try await db.transaction { tx in try tx.query("SELECT 1 AS one").first?["one"] }
        #expect(one == "1")
        await admin.close()
        await db.close()
    }

    @Test func arraysWithNullsAndDatesBindAsTheirTypes() async throws {
        let db = try await TestServices.connectOrExplain(try await TestServices.freshDatabase())
        let instant = Date(timeIntervalSince1970: 1_700_000_000.123456)
        #expect(instant.postgresText == "2023-11-14 22:13:20.123456+00")
        let rows = try await db.query(
            """
            SELECT (\(PostgresNullableArray<String>(["a\"b", nil, "NULL"])))[2] IS NULL AS second_null,
                (\(PostgresNullableArray<String>(["a\"b", nil, "NULL"])))[3] AS third,
                extract(epoch FROM (\([instant]))[1])::text AS epoch,
                (\(PostgresNullableArray<Int>([nil, 7])))[2] AS seven, (\([UUID(), UUID()]))[1] IS NOT NULL AS uuid,
                (\([true, false]))[2] AS no
            """)
        let row = try #require(rows.first)
        #expect(try row.bool("second_null"))
        #expect(row["third"] == "NULL")
        #expect(row["epoch"] == "1700000000.123456")
        #expect(try row.int("seven") == 7)
        #expect(try row.bool("uuid"))
        #expect(try !row.bool("no"))
        await db.close()
    }
}
