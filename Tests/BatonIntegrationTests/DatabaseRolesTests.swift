import BatonContracts
import BatonPostgres
import ChildProcesses
import Foundation
import Logging
import Testing
import Yams

@testable import BatonScheduler

/// Least privilege: one role owns and migrates the schema, the scheduler's own role
/// reads and writes rows and can change nothing else.
@Suite struct DatabaseRolesTests {
    /// Two login roles of the test's own (no superuser, no CREATEDB), and a database the
    /// first owns. Roles belong to the whole server: `drop` removes them again.
    struct Roles {
        let owner = TestServices.uniqueName("baton_test_owner")
        let scheduler = TestServices.uniqueName("baton_test_runtime")

        func create() async throws {
            let admin = try await TestServices.connectOrExplain(TestServices.postgresURL)
            for role in [owner, scheduler] {
                try await admin.query("CREATE ROLE \(unescaped: role) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
            }
            await admin.close()
        }

        /// The database becomes the owner's, and so does its `public` schema (PostgreSQL
        /// 15 gives that schema to the database's owner).
        func own(_ databaseURL: String) async throws {
            let admin = try await TestServices.connectOrExplain(TestServices.postgresURL)
            try await admin.query(
                "ALTER DATABASE \(unescaped: Self.name(of: databaseURL)) OWNER TO \(unescaped: owner)")
            await admin.close()
        }

        func url(_ databaseURL: String, as role: String) -> String {
            databaseURL.replacingOccurrences(of: "://postgres@", with: "://\(role)@")
        }

        func drop(_ databaseURL: String?) async throws {
            let admin = try await TestServices.connectOrExplain(TestServices.postgresURL)
            if let databaseURL {
                try await admin.query("DROP DATABASE IF EXISTS \(unescaped: Self.name(of: databaseURL)) WITH (FORCE)")
            }
            for role in [scheduler, owner] { try await admin.query("DROP ROLE IF EXISTS \(unescaped: role)") }
            await admin.close()
        }

        static func name(of databaseURL: String) -> String { String(databaseURL.split(separator: "/").last ?? "") }
    }

    final class DatabaseURL: @unchecked Sendable {
        var value: String?
    }

    @Test func aSchedulerWhoseRoleMayOnlyWriteRowsRunsWorkflowsOnASchemaAnotherRoleMigrated() async throws {
        let roles = Roles()
        try await roles.create()
        let database = DatabaseURL()
        do {
            try await Stack.run(
                schedulerDatabaseURL: { roles.url($0, as: roles.scheduler) },
                migrationDatabaseURL: { roles.url($0, as: roles.owner) },
                prepareDatabase: { url in
                    database.value = url
                    try await roles.own(url)
                }
            ) { stack in
                let submitted = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: ["steps": 3])).view
                #expect(try await stack.waitUntilFinished(submitted.id).status == .completed)

                let runtime = try await PostgresConnection.connect(
                    roles.url(stack.databaseURL, as: roles.scheduler), name: "runtime-role")
                #expect(try await runtime.query("SELECT count(*) AS n FROM workflows").first?["n"] == "1")
                for change in ["CREATE TABLE intruder (x int)", "DROP TABLE workflows", "TRUNCATE workflow_events"] {
                    do {
                        try await runtime.query(PostgresQuery(unsafeSQL: change))
                        Issue.record("the scheduler's role could run \(change)")
                    } catch PostgresError.statementFailed(let state, _, _) {
                        #expect(state == "42501", "\(change)")
                    }
                }
                await runtime.close()

                // A replica with the runtime role alone starts on the migrated schema.
                let pool = PostgresPool(
                    connectionString: roles.url(stack.databaseURL, as: roles.scheduler), size: 1, name: "replica")
                #expect(try await Migrations.run(on: pool).isEmpty)
                await pool.close()
            }
        } catch {
            try await roles.drop(database.value)
            throw error
        }
        try await roles.drop(database.value)
    }

    @Test func aSchedulerThatMayNotMigrateAnEmptyDatabaseSaysWhichSettingItNeeds() async throws {
        let roles = Roles()
        try await roles.create()
        let databaseURL = try await TestServices.freshDatabase()
        do {
            try await roles.own(databaseURL)
            let configuration = SchedulerConfiguration(
                httpHost: "127.0.0.1", httpPort: 0, postgresURL: roles.url(databaseURL, as: roles.scheduler),
                brokerURL: TestServices.brokerURL, queue: TestServices.uniqueName("agents"),
                eventsQueue: TestServices.uniqueName("events"))
            do {
                _ = try await Scheduler.makeServices(configuration: configuration, logger: TestServices.logger)
                Issue.record("the scheduler started on a schema it could not create")
            } catch {
                #expect("\(error)".contains("run 'baton-scheduler migrate' with migration_postgres_url"), "\(error)")
                #expect("\(error)".contains("permission denied"), "\(error)")
            }
        } catch {
            try await roles.drop(databaseURL)
            throw error
        }
        try await roles.drop(databaseURL)
    }

    /// Runs `baton-scheduler migrate` (the binary `swift build` made) and returns its exit
    /// status and what it printed.
    static func migrate(
        _ databaseURL: String, migrationURL: String?, wait: String = "60"
    ) async throws -> (
        status: Int32, output: String
    ) {
        let root = SchedulerCrashTests.root
        let binary = root.appendingPathComponent(".build/debug/baton-scheduler").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build it with 'swift build' first")
        var environment = ProcessInfo.processInfo.environment
        environment["BATON_POSTGRES_URL"] = databaseURL
        environment["BATON_MIGRATION_POSTGRES_URL"] = migrationURL
        environment["BATON_BROKER_URL"] = TestServices.brokerURL
        let run = try await ChildProcess.run(
            binary,
            arguments: [
                "migrate", "--config", root.appendingPathComponent("config/configuration_scheduler.yaml").path,
                "--wait-seconds", wait,
            ], environment: environment)
        return (run.status, run.output + run.errors)
    }

    /// `baton-scheduler migrate`, the step a deployment runs once before the replicas:
    /// with the owner's URL it creates the schema and grants the runtime role its rows,
    /// then says the schema is up to date; a replica with the runtime role alone runs on it.
    @Test func theMigrateCommandPreparesTheSchemaForARoleThatMayOnlyWriteRows() async throws {
        let roles = Roles()
        try await roles.create()
        let database = DatabaseURL()
        do {
            try await Stack.run(
                schedulerDatabaseURL: { roles.url($0, as: roles.scheduler) },
                prepareDatabase: { url in
                    database.value = url
                    try await roles.own(url)
                    let first = try await Self.migrate(
                        roles.url(url, as: roles.scheduler), migrationURL: roles.url(url, as: roles.owner))
                    #expect(first.status == 0, "\(first.output)")
                    #expect(first.output.contains("baton-scheduler: applied the migrations 1,"), "\(first.output)")
                    let second = try await Self.migrate(
                        roles.url(url, as: roles.scheduler), migrationURL: roles.url(url, as: roles.owner))
                    #expect(second.status == 0, "\(second.output)")
                    #expect(second.output.contains("the database schema is up to date"), "\(second.output)")
                }
            ) { stack in
                let submitted = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: ["steps": 2])).view
                #expect(try await stack.waitUntilFinished(submitted.id).status == .completed)
            }
            // A database that cannot be reached is given up once the wait is over.
            let unreachable = try await Self.migrate(
                "postgres://postgres@127.0.0.1:1/nowhere", migrationURL: nil, wait: "1")
            #expect(unreachable.status == 69, "\(unreachable.output)")
            #expect(unreachable.output.contains("cannot migrate"), "\(unreachable.output)")
        } catch {
            try await roles.drop(database.value)
            throw error
        }
        try await roles.drop(database.value)
    }

    /// The compose stack's database: `docker/postgres-roles.sh` (the official image runs it
    /// on first start) makes the owner and the schedulers' role, `migrate` migrates as the
    /// owner, the schedulers connect as their role. The script runs here on the test
    /// server, the file is read as compose reads it.
    @Test func theComposeStacksRolesAreMadeByItsInitScriptAndOnlyMigrateHoldsTheOwners() async throws {
        let roles = Roles()
        let databaseURL = try await TestServices.freshDatabase()
        do {
            try await Self.makeRolesAndMigrate(roles, databaseURL)
        } catch {
            try await roles.drop(databaseURL)
            throw error
        }
        try await roles.drop(databaseURL)
    }

    private static func makeRolesAndMigrate(_ roles: Roles, _ databaseURL: String) async throws {
        let server = URLComponents(string: TestServices.postgresURL)
        var environment = ProcessInfo.processInfo.environment
        environment["PGHOST"] = server?.host ?? "127.0.0.1"
        environment["PGPORT"] = "\(server?.port ?? 5432)"
        environment["POSTGRES_USER"] = server?.user ?? "postgres"
        environment["POSTGRES_DB"] = Roles.name(of: databaseURL)
        environment["BATON_PG_OWNER_ROLE"] = roles.owner
        environment["BATON_PG_SCHEDULER_ROLE"] = roles.scheduler
        environment["BATON_PG_OWNER_PASSWORD"] = "owner-secret"
        let unset = environment
        environment["BATON_PG_SCHEDULER_PASSWORD"] = "scheduler-secret"
        let script = SchedulerCrashTests.root.appendingPathComponent("docker/postgres-roles.sh").path
        let refused = try await ChildProcess.run("/bin/bash", arguments: [script], environment: unset)
        #expect(refused.status != 0)
        #expect(refused.errors.contains("set BATON_PG_SCHEDULER_PASSWORD"), "\(refused.errors)")
        let made = try await ChildProcess.run("/bin/bash", arguments: [script], environment: environment)
        #expect(made.status == 0, "\(made.output)\(made.errors)")

        let runtimeURL = roles.url(databaseURL, as: roles.scheduler)
        let migrated = try await migrate(runtimeURL, migrationURL: roles.url(databaseURL, as: roles.owner))
        #expect(migrated.status == 0, "\(migrated.output)")
        let runtime = try await PostgresConnection.connect(runtimeURL, name: "runtime-role")
        #expect(try await runtime.query("SELECT count(*) AS n FROM workflows").first?["n"] == "0")
        await #expect(throws: PostgresError.self) { try await runtime.query("CREATE TABLE intruder (x int)") }
        await runtime.close()
    }

    /// The compose file as compose reads it: the schedulers connect as their role, only
    /// `migrate` has the owner's URL, and no password or key has a default.
    @Test func theComposeFileGivesTheOwnersURLToMigrateAlone() throws {
        let text = try String(
            contentsOf: SchedulerCrashTests.root.appendingPathComponent("docker/docker-compose.yml"), encoding: .utf8)
        let file = try #require(try Yams.load(yaml: text) as? [String: Any])
        let services = try #require(file["services"] as? [String: [String: Any]])
        let scheduler = services["scheduler"]?["environment"] as? [String: String] ?? [:]
        let migrate = services["migrate"]?["environment"] as? [String: String] ?? [:]
        #expect(scheduler["BATON_POSTGRES_URL"]?.hasPrefix("postgresql://baton_scheduler:") == true)
        #expect(scheduler["BATON_MIGRATION_POSTGRES_URL"] == nil)
        #expect(migrate["BATON_MIGRATION_POSTGRES_URL"]?.hasPrefix("postgresql://baton_owner:") == true)
        #expect((services["migrate"]?["command"] as? [String])?.prefix(2) == ["baton-scheduler", "migrate"])
        let waits = services["scheduler"]?["depends_on"] as? [String: [String: String]]
        #expect(waits?["migrate"]?["condition"] == "service_completed_successfully")
        let volumes = services["postgres"]?["volumes"] as? [String] ?? []
        #expect(volumes.contains { $0.hasPrefix("./postgres-roles.sh:/docker-entrypoint-initdb.d/") })
        let unguarded = text.split(separator: "\n").filter { $0.contains("${") && !$0.contains(":?") }
        #expect(unguarded.isEmpty, "\(unguarded)")
    }
}
