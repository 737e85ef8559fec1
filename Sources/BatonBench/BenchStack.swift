import BatonContracts
import BatonHTTPClient
import BatonIdentity
import BatonPostgres
import ChildProcesses
import Foundation

/// A scheduler (or several replicas) and workers started as separate processes
/// (release binaries beside this one) against the project's local services, plus what
/// a benchmark needs to watch them: CPU and memory of every process of the stack, the
/// scheduler's database, and what PostgreSQL did for the stack.
final class BenchStack {
    let root: URL
    let databaseURL: String
    /// What the benchmark reads the database with: a role of its own
    /// (`baton_bench_driver`, read-only) where one could be made, so that
    /// `pg_stat_statements` tells the stack's statements from the driver's; else
    /// `databaseURL`.
    let driverURL: String
    let queue: String
    let port: Int
    let baseURL: String
    /// Replica i answers on `port + i`; the first one on `baseURL`.
    var schedulers: [ChildProcess] = []
    var scheduler: ChildProcess? { schedulers.first }
    var workers: [ChildProcess] = []
    /// The PostgreSQL server's postmaster, found from a backend's parent.
    let postmaster: Int32?
    /// The driver's one connection (opened on first use) and the backend serving it.
    private var driver: PostgresConnection?
    private var driverBackend: Int32?
    /// Statements the driver ran, its connection's own included: each is a transaction
    /// of its own in the database's counts.
    private(set) var driverStatements = 0

    static var binDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    static let driverRole = "baton_bench_driver"

    init(root: URL) async throws {
        self.root = root
        let base =
            ProcessInfo.processInfo.environment["BATON_POSTGRES_URL"] ?? "postgresql://postgres@127.0.0.1:16439/baton"
        let name = "bench_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await PostgresConnection.connect(base, name: "bench-admin", timeouts: .unbounded)
        try await admin.query("CREATE DATABASE \(unescaped: name)")
        let backend = try await admin.query("SELECT pg_backend_pid() AS pid").first?["pid"].flatMap(Int32.init)
        postmaster = backend.flatMap(ProcStat.parent(of:))
        // Reads everything and the statistics, writes nothing; made once per cluster.
        let roleMade =
            (try? await admin.query(
                """
                DO $$ BEGIN
                    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '\(unescaped: Self.driverRole)') THEN
                        CREATE ROLE \(unescaped: Self.driverRole) LOGIN IN ROLE pg_read_all_data, pg_read_all_stats;
                    END IF;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                END $$
                """)) != nil
        await admin.close()
        databaseURL = String(base[...base.lastIndex(of: "/")!]) + name
        var driverURL = databaseURL
        // Only where the URL logs in as postgres without a password (the local services).
        if roleMade, let range = databaseURL.range(of: "://postgres@") {
            let candidate = databaseURL.replacingCharacters(in: range, with: "://\(Self.driverRole)@")
            if let probe = try? await PostgresConnection.connect(candidate, name: "bench-probe") {
                await probe.close()
                driverURL = candidate
            }
        }
        self.driverURL = driverURL
        queue = "bench_\(UUID().uuidString.prefix(6).lowercased())"
        port = Int.random(in: 20_000..<32_000)
        baseURL = "http://127.0.0.1:\(port)"
    }

    /// The administrator key of the stacks a benchmark starts (one per run).
    static let apiKey = APIKeyToken.generate()
    static let authorization = ["Authorization": "Bearer \(apiKey.text)"]

    func environment(_ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["BATON_ADMIN_KEY_SHA256"] = Self.apiKey.sha256
        environment["BATON_POSTGRES_URL"] = databaseURL
        environment["BATON_QUEUE"] = queue
        environment["BATON_EVENTS_QUEUE"] = queue + ".events"
        environment["BATON_HTTP_PORT"] = String(port)
        environment["BATON_SCHEDULER_METRICS_PORT"] = String(Self.metricsPort(port, replica: 0))
        // BATON_BENCH_LOG_LEVEL=info shows what the stack did (on stderr).
        environment["BATON_LOG_LEVEL"] = ProcessInfo.processInfo.environment["BATON_BENCH_LOG_LEVEL"] ?? "error"
        // Several workers share the host: no fixed metrics port.
        environment["BATON_WORKER_METRICS_PORT"] = "0"
        environment.merge(extra) { _, new in new }
        return environment
    }

    /// Where the workers' test hooks (the chain agent's exec_log) write.
    static let testHooksFolder: String = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-bench-hooks").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }()

    private func launch(
        _ executable: String, config: String, extra: [String: String] = [:]
    ) async throws
        -> ChildProcess
    {
        try await launch(executable, configPath: root.appendingPathComponent("config/\(config)").path, extra: extra)
    }

    /// Starts one of the stack's binaries with a configuration file anywhere, its output
    /// (both streams) appended to the file `log` when given, else this process's own.
    func launch(
        _ executable: String, configPath: String, extra: [String: String] = [:], log: String? = nil
    ) async throws -> ChildProcess {
        try await Self.launch(executable, configPath: configPath, environment: environment(extra), log: log)
    }

    /// `launch` with the whole environment given.
    static func launch(
        _ executable: String, configPath: String, environment: [String: String], log: String? = nil
    ) async throws -> ChildProcess {
        let destination = log.map { ChildProcess.Destination.file($0) } ?? .inherited
        return try await ChildProcess.start(
            binDirectory.appendingPathComponent(executable).path, arguments: ["--config", configPath],
            environment: environment, output: .handed(output: destination, errors: destination))
    }

    func startScheduler(extra: [String: String] = [:]) async throws {
        try await startSchedulers(count: 1, extra: extra)
    }

    /// `count` replicas sharing the database and the broker (event partitions with
    /// leases), on `port`, `port + 1`, …; returns once every one answers /healthz.
    func startSchedulers(count: Int, extra: [String: String] = [:]) async throws {
        let first = schedulers.count
        for index in first..<(first + count) {
            schedulers.append(
                try await launch(
                    "baton-scheduler", config: "configuration_scheduler.yaml",
                    extra: extra.merging([
                        "BATON_HTTP_PORT": String(port + index),
                        "BATON_SCHEDULER_METRICS_PORT": String(Self.metricsPort(port, replica: index)),
                    ]) { $1 }))
        }
        for url in schedulerURLs[first...] {
            var healthy = false
            for _ in 0..<300 {
                if let response = try? await HTTPClient.send(HTTPRequest(url: url + "/healthz", timeout: .seconds(1))),
                    response.status == 200
                {
                    healthy = true
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            guard healthy else { throw BenchError("the scheduler did not become healthy at \(url)") }
        }
    }

    /// Every replica's base URL, in start order.
    var schedulerURLs: [String] { schedulers.indices.map { "http://127.0.0.1:\(port + $0)" } }
    /// Each replica's `/metrics`, on a port of its own.
    var schedulerMetricsURLs: [String] {
        schedulers.indices.map { "http://127.0.0.1:\(Self.metricsPort(port, replica: $0))" }
    }

    static func metricsPort(_ port: Int, replica: Int) -> Int { port + 500 + replica }

    /// Waits until every replica holds its fair share of the event partitions (each
    /// replica claims up to its share once a second), so that a burst measures them all.
    func waitForPartitionsShared(timeout: Duration = .seconds(60)) async throws {
        let replicas = schedulers.count
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            let row = try await query(
                """
                SELECT count(DISTINCT owner) AS owners, coalesce(max(held), 0) AS most, sum(held) AS total,
                    (SELECT max(partitions) FROM event_partitioning) AS partitions
                FROM (SELECT owner, count(*) AS held FROM event_partition_leases GROUP BY owner) l
                """
            ).first
            let owners = Int(row?["owners"] ?? "") ?? 0
            let most = Int(row?["most"] ?? "") ?? 0
            let total = Int(row?["total"] ?? "") ?? 0
            let partitions = Int(row?["partitions"] ?? "") ?? 0
            // The queues are the partitions and, while it may hold events, the base queue.
            let share = (total + replicas - 1) / max(1, replicas)
            if partitions > 0, owners == replicas, total >= partitions, most <= share { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw BenchError("the \(replicas) scheduler replicas did not share the event partitions in time")
    }

    @discardableResult
    func startWorker(concurrency: Int) async throws -> ChildProcess {
        let worker = try await launch(
            "baton-worker", config: "dev/configuration_worker.yaml",
            extra: ["BATON_WORKER_CONCURRENCY": String(concurrency), "BATON_TEST_HOOKS_FOLDER": Self.testHooksFolder])
        workers.append(worker)
        return worker
    }

    /// SIGTERM to every daemon, then waits (30 s at most, then SIGKILL). It blocks its
    /// thread: benchmarks call it from `defer`, at their end.
    func stop() {
        let daemons = workers + schedulers
        for process in daemons { process.send(SIGTERM) }
        let end = ContinuousClock.now + .seconds(30)
        while daemons.contains(where: \.isRunning), ContinuousClock.now < end { usleep(20_000) }
        for process in daemons { process.send(SIGKILL) }
    }

    // MARK: API and database

    func submit(_ request: SubmitWorkflowRequest) async throws {
        try await Self.submit(request, to: baseURL)
    }

    static func submit(_ request: SubmitWorkflowRequest, to baseURL: String) async throws {
        let response = try await HTTPClient.send(
            HTTPRequest(
                method: "POST", url: baseURL + "/v1/workflows",
                headers: authorization.merging(["Content-Type": "application/json"]) { $1 },
                body: try JSONEncoder().encode(request)))
        guard (200..<300).contains(response.status) else {
            throw BenchError("submit answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
    }

    /// Runs a statement on the driver's connection (one for the whole run, so that
    /// polling forks no backend per look).
    func query(_ query: PostgresQuery) async throws -> PostgresRows {
        let connection = try await driverConnection()
        driverStatements += 1
        do {
            return try await connection.query(query)
        } catch  where error.isTransient {
            // PostgreSQL restarted under the connection: once more on a new one.
            await connection.close()
            driver = nil
            let fresh = try await driverConnection()
            driverStatements += 1
            return try await fresh.query(query)
        }
    }

    private func driverConnection() async throws -> PostgresConnection {
        if let driver { return driver }
        let connection = try await PostgresConnection.connect(driverURL, name: "bench")
        // Its two SET statements, and the look-up of its backend.
        driverStatements += 3
        driverBackend = try await connection.query("SELECT pg_backend_pid() AS pid").first?["pid"].flatMap(
            Int32.init)
        driver = connection
        return connection
    }

    /// `sql`: fixed text made by the benchmark, returning one column `n`.
    func count(_ sql: String) async throws -> Int {
        Int(try await query(PostgresQuery(unsafeSQL: sql)).first?["n"] ?? "0") ?? 0
    }

    func waitFor(_ sql: String, atLeast target: Int, timeout: Duration = .seconds(600)) async throws {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if try await count(sql) >= target { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("timed out waiting for \(target): \(sql)")
    }

    /// Runs statements as the database's owner (the extension needs it).
    private func asOwner(_ statements: [PostgresQuery]) async throws {
        let connection = try await PostgresConnection.connect(databaseURL, name: "bench-owner")
        defer { Task { await connection.close() } }
        for statement in statements { try await connection.query(statement) }
    }

    /// Makes `pg_stat_statements` readable in this database and empties it; false when
    /// the server was started without it in `shared_preload_libraries`.
    func resetStatementStatistics() async -> Bool {
        do {
            try await asOwner([
                "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
                "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)",
            ])
            return true
        } catch {
            return false
        }
    }

    /// What PostgreSQL has done so far: WAL written (the whole server), transactions
    /// of this database, and the statements of this database that were not the
    /// driver's (`pg_stat_statements`, when loaded; BEGIN/COMMIT included).
    struct DatabaseCounters {
        var walBytes: Double
        var transactions: Double
        var statements: Double?
        var statementsWithoutTransactionControl: Double?
        var topStatements: [(calls: Double, query: String)]
        var driverStatements: Int
    }

    func databaseCounters(statementStatistics: Bool) async throws -> DatabaseCounters {
        let wal = try await query("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS n").first?["n"]
        let transactions = try await query(
            "SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()"
        ).first?["n"]
        var counters = DatabaseCounters(
            walBytes: Double(wal ?? "") ?? 0, transactions: Double(transactions ?? "") ?? 0, statements: nil,
            statementsWithoutTransactionControl: nil, topStatements: [], driverStatements: 0)
        if statementStatistics {
            let separated = driverURL != databaseURL
            let filter = """
                FROM pg_stat_statements s
                WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND s.userid <> coalesce((SELECT oid FROM pg_roles WHERE rolname = '\(Self.driverRole)'), 0)
                    AND s.query NOT LIKE '%pg_stat_statements%'
                """
            let totals = try await query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT coalesce(sum(calls), 0) AS calls, coalesce(sum(calls) FILTER (
                            WHERE s.query !~* '^\\s*(BEGIN|COMMIT|ROLLBACK|SET|SAVEPOINT|RELEASE)\\M'), 0) AS plain
                        \(filter)
                        """)
            ).first
            let top = try await query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT calls, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 160) AS query
                        \(filter) ORDER BY calls DESC LIMIT 10
                        """))
            counters.statements = Double(totals?["calls"] ?? "")
            counters.statementsWithoutTransactionControl = Double(totals?["plain"] ?? "")
            counters.topStatements = top.all.map { (Double($0["calls"] ?? "") ?? 0, $0["query"] ?? "") }
            // Without a role of its own, the driver's statements are among them.
            if !separated { counters.statements = counters.statements.map { $0 - Double(driverStatements) } }
        }
        counters.driverStatements = driverStatements
        return counters
    }

    // MARK: Resources

    /// CPU seconds used so far by the stack: scheduler replicas (together), workers,
    /// PostgreSQL (postmaster, backends, and backends that have exited; not the
    /// driver's backend), RabbitMQ (beam and its helpers).
    func stackCPU() -> [String: Double] {
        var cpu: [String: Double] = [:]
        cpu["scheduler"] = schedulerCPU().reduce(0, +)
        cpu["worker"] = workers.map { ProcStat.cpuSeconds(pid: $0.processIdentifier) }.reduce(0, +)
        if let postmaster {
            cpu["postgres"] =
                ProcStat.treeCPUSeconds(root: postmaster) - (driverBackend.map { ProcStat.cpuSeconds(pid: $0) } ?? 0)
        }
        if let rabbit = ProcStat.firstLine(Self.runDirectory(root).appendingPathComponent("rabbitmq/rabbitmq.pid").path)
            .flatMap(Int32.init)
        {
            cpu["rabbitmq"] = ProcStat.treeCPUSeconds(root: rabbit)
        }
        return cpu
    }

    /// CPU seconds of each scheduler replica, in start order.
    func schedulerCPU() -> [Double] { schedulers.map { ProcStat.cpuSeconds(pid: $0.processIdentifier) } }

    /// CPU seconds of the benchmark itself: this process and its database backend.
    func driverCPU() -> Double {
        ProcStat.cpuSeconds(pid: getpid()) + (driverBackend.map { ProcStat.cpuSeconds(pid: $0) } ?? 0)
    }

    /// Events each replica has applied so far (`baton_events_applied_total` on its
    /// /metrics), in start order; nil for a replica that did not answer.
    func eventsApplied() async -> [Double?] {
        var applied: [Double?] = []
        for url in schedulerMetricsURLs {
            guard let response = try? await HTTPClient.send(HTTPRequest(url: url + "/metrics", timeout: .seconds(5))),
                response.status == 200
            else {
                applied.append(nil)
                continue
            }
            applied.append(
                Self.metric("baton_events_applied_total", in: String(decoding: response.body, as: UTF8.self)))
        }
        return applied
    }

    /// The sum of a metric's samples (every label set) in Prometheus' text format.
    static func metric(_ name: String, in text: String) -> Double? {
        var total: Double?
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let key = line.prefix { $0 != " " && $0 != "{" }
            guard key == name, let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            total = (total ?? 0) + value
        }
        return total
    }

    /// `BATON_RUN_DIR` as scripts/services.sh takes it (default `<root>/.run`).
    static func runDirectory(_ root: URL) -> URL {
        ProcessInfo.processInfo.environment["BATON_RUN_DIR"].map { URL(fileURLWithPath: $0) }
            ?? root.appendingPathComponent(".run")
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Readings from /proc (Linux).
enum ProcStat {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    static func cpuSeconds(pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14, stime 15 (1-based, whole line).
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / ticksPerSecond
    }

    /// A process and its live children, with the CPU of the children it has reaped
    /// (a backend that exited is counted by its postmaster).
    static func treeCPUSeconds(root: Int32) -> Double {
        cpuSeconds(pid: root, reapedChildren: true) + children(of: root).map { cpuSeconds(pid: $0) }.reduce(0, +)
    }

    /// utime + stime, and with `reapedChildren` cutime + cstime too.
    static func cpuSeconds(pid: Int32, reapedChildren: Bool) -> Double {
        guard reapedChildren else { return cpuSeconds(pid: pid) }
        guard let fields = statFields(pid: pid), fields.count > 14,
            let user = Double(fields[11]), let system = Double(fields[12]),
            let childrenUser = Double(fields[13]), let childrenSystem = Double(fields[14])
        else { return 0 }
        return (user + system + childrenUser + childrenSystem) / ticksPerSecond
    }

    static func parent(of pid: Int32) -> Int32? {
        statFields(pid: pid).flatMap { $0.count > 1 ? Int32($0[1]) : nil }
    }

    /// The fields of /proc/<pid>/stat after the command: state first.
    private static func statFields(pid: Int32) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    static func peakRSSMiB(pid: Int32) -> Double { statusMiB(pid: pid, field: "VmHWM:") }

    static func rssMiB(pid: Int32) -> Double { statusMiB(pid: pid, field: "VmRSS:") }

    private static func statusMiB(pid: Int32, field: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(field) {
            return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
        }
        return 0
    }

    static func children(of parent: Int32) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == parent
        }
    }

    /// Busy CPU seconds of the whole machine (all cores), to tell a quiet run from a noisy one.
    static func machineBusySeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first
        else { return 0 }
        let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard values.count >= 5 else { return 0 }
        return (values.reduce(0, +) - values[3] - values[4]) / ticksPerSecond
    }

    static func firstLine(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").first.map {
            $0.trimmingCharacters(in: .whitespaces)
        }
    }
}

/// Percentiles of a sample, in the sample's unit.
func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let rank = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
    return sorted[rank]
}
