import BatonPostgres
import Foundation
import Testing

@Suite struct PostgresConnectionTests {
    /// Every interpolated value travels as a typed parameter: no SQL is made of it, and
    /// the server reads it as the type it has in Swift.
    @Test func interpolatedValuesBindWithTheirTypes() async throws {
        let db = try await TestServices.connectOrExplain(try await TestServices.freshDatabase())
        let tricky = ["a,b", "quote\"d", "back\\slash", "{brace}", "", "NULL"]
        let instant = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let id = UUID()
        let missing: Date? = nil
        let rows = try await db.query(
            """
            SELECT pg_typeof(\(42)) AS int_type, \(true) AND NOT \(false) AS both,
                array_length(\(tricky), 1) AS count, (\(tricky))[2] AS second, (\(tricky))[6] IS NULL AS null_text,
                extract(epoch FROM \(instant))::text AS epoch, \(id)::text AS id, \(missing) IS NULL AS no_date,
                \(2.5) * 2 AS double, \([3, 1, 2])[3] AS third
            """)
        let row = try #require(rows.first)
        #expect(row["int_type"] == "bigint")
        #expect(try row.bool("both"))
        #expect(try row.int("count") == tricky.count)
        #expect(row["second"] == "quote\"d")
        #expect(try !row.bool("null_text"))  // the text NULL is not SQL NULL
        #expect(row["epoch"] == "1700000000.123456")
        #expect(row["id"] == id.uuidString.lowercased())
        #expect(try row.bool("no_date"))
        #expect(row["double"] == "5")
        #expect(try row.int("third") == 2)
        await db.close()
    }

    /// A statement inside another (a subquery written once, as retention's candidates):
    /// its placeholders are renumbered after the outer ones, quoted `$1` left alone.
    @Test func aStatementInterpolatedIntoAnotherKeepsItsValues() async throws {
        let db = try await TestServices.connectOrExplain(try await TestServices.freshDatabase())
        let inner: PostgresQuery = "SELECT x FROM unnest(\([1, 2, 3, 4])) AS x WHERE x > \(1) AND '$1' = '$' || '1'"
        let rows = try await db.query(
            "SELECT \("outer") AS label, (SELECT count(*) FROM (\(inner)) AS i) AS n, \(7) AS last")
        let row = try #require(rows.first)
        #expect(row["label"] == "outer")
        #expect(try row.int("n") == 3)
        #expect(try row.int("last") == 7)
        await db.close()
    }

    @Test func bindsParametersAndReadsNulls() async throws {
        let db = try await TestServices.connectOrExplain(try await TestServices.freshDatabase())
        let rows = try await db.query(
            "SELECT \("it's; DROP TABLE x") AS a, \(41) + 1 AS b, \(nil as String?) AS c")
        #expect(rows.first?["a"] == "it's; DROP TABLE x")
        #expect(try rows.first?.int("b") == 42)
        #expect(rows.first?["c"] == nil)
        await db.close()
    }

    /// After an outage, an idle connection learns that its session died only at its next
    /// statement: a read or a BEGIN then reconnects and runs again instead of failing
    /// (a GET right after a database restart answered 503).
    @Test func anIdleConnectionWhoseSessionDiedReconnectsForAReadOrABegin() async throws {
        let db = try await TestServices.connectOrExplain(try await TestServices.freshDatabase())
        let admin = try await TestServices.connectOrExplain(TestServices.postgresURL)
        for statement: PostgresQuery in ["SELECT 1 AS one", "BEGIN"] {
            let pid = try #require(try await db.query("SELECT pg_backend_pid() AS pid").first?["pid"])
            try await admin.query("SELECT pg_terminate_backend(\(Int(pid) ?? 0)::int)")
            try await Task.sleep(for: .milliseconds(200))
            try await db.query(statement)
        }
        try await db.query("ROLLBACK")
        // Inside a transaction a lost session is an error: the transaction is gone.
        try await db.query("BEGIN")
        let pid = try #require(try await db.query("SELECT pg_backend_pid() AS pid").first?["pid"])
        try await admin.query("SELECT pg_terminate_backend(\(Int(pid) ?? 0)::int)")
        try await Task.sleep(for: .milliseconds(200))
        await #expect(throws: PostgresError.self) { try await db.query("SELECT 1 AS one") }
        #expect(try await db.query("SELECT 1 AS one").first?["one"] == "1")
        await admin.close()
        await db.close()
    }

    @Test func aFailedStatementCarriesSQLStateAndMessage() async throws {
        let db = try await TestServices.connectOrExplain(try await TestServices.freshDatabase())
        await #expect(
            throws: PostgresError.statementFailed(
                sqlState: "42P01", message: "relation \"missing\" does not exist", detail: nil)
        ) {
            try await db.query("SELECT * FROM missing")
        }
        // The connection stays usable.
        #expect(try await db.query("SELECT 1 AS one").first?["one"] == "1")
        await db.close()
    }

    /// Statements with parameters are prepared on first use: the second run reuses it,
    /// one that cannot be prepared reports its own error, and a rolled-back
    /// transaction does not lose what was prepared in it.
    @Test func preparedStatementsAreReusedAndTheirErrorsReported() async throws {
        let db = try await TestServices.connectOrExplain(try await TestServices.freshDatabase())
        try await db.query("CREATE TABLE t (id int PRIMARY KEY)")
        await #expect(throws: PostgresError.self) {
            try await db.transaction { db in
                try db.query("INSERT INTO t (id) VALUES (\(1))")
                throw PostgresError.unexpectedResult("roll back")
            }
        }
        for id in 1...3 { try await db.query("INSERT INTO t (id) VALUES (\(id))") }
        #expect(try await db.query("SELECT count(*) AS n FROM t WHERE id > \(0)").first?["n"] == "3")
        do {
            try await db.query("SELEC \(1)")
            Issue.record("a syntax error passed")
        } catch PostgresError.statementFailed(let sqlState, _, _) {
            #expect(sqlState == "42601")
        }
        #expect(try await db.query("SELECT \(1) + 1 AS two").first?["two"] == "2")
        await db.close()
    }

    @Test func aTransactionRollsBackWhenItsBodyThrows() async throws {
        let db = try await TestServices.connectOrExplain(try await TestServices.freshDatabase())
        try await db.query("CREATE TABLE t (id int PRIMARY KEY)")
        struct Stop: Error {}
        await #expect(throws: Stop.self) {
            try await db.transaction { db in
                try db.query("INSERT INTO t VALUES (1)")
                throw Stop()
            }
        }
        #expect(try await db.query("SELECT count(*) AS n FROM t").first?["n"] == "0")
        try await db.transaction { db in _ = try db.query("INSERT INTO t VALUES (1)") }
        await #expect(throws: PostgresError.self) { try await db.query("INSERT INTO t VALUES (1)") }
        do {
            try await db.query("INSERT INTO t VALUES (1)")
        } catch {
            #expect(error.isUniqueViolation)
        }
        await db.close()
    }

    @Test func aBadURLIsReportedWithLibpqsReason() async throws {
        do {
            _ = try await PostgresConnection.connect(
                "postgresql://postgres:topsecret@127.0.0.1:1/x?connect_timeout=2", name: "t")
            Issue.record("connected to port 1")
        } catch {
            #expect("\(error)".contains("cannot talk to PostgreSQL"))
            #expect(!"\(error)".contains("topsecret"))
        }
    }

    @Test func aPoolSharesConnectionsAmongManyCallers() async throws {
        let pool = PostgresPool(connectionString: try await TestServices.freshDatabase(), size: 2)
        let sum = try await withThrowingTaskGroup(of: Int.self) { group in
            for value in 1...20 {
                group.addTask {
                    try await pool.withConnection { db in
                        try await db.query("SELECT \(value) AS v, pg_sleep(0.01)").first!.int("v")
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(sum == 210)
        await pool.close()
    }
}
