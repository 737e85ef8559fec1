import BatonContracts
import BatonHTTPClient
import BatonPostgres
import Foundation

/// A scheduler and workers started as separate processes (release binaries beside this
/// one) against the project's local services, plus what a benchmark needs to watch
/// them: CPU and memory of every process of the stack, and the scheduler's database.
final class BenchStack {
    let root: URL
    let databaseURL: String
    let queue: String
    let port: Int
    let baseURL: String
    var scheduler: Process?
    var workers: [Process] = []

    static var binDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    init(root: URL) async throws {
        self.root = root
        let base =
            ProcessInfo.processInfo.environment["BATON_POSTGRES_URL"] ?? "postgresql://postgres@127.0.0.1:16439/baton"
        let name = "bench_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await PostgresConnection.connect(base, name: "bench-admin")
        try await admin.query("CREATE DATABASE \(unescaped: name)")
        await admin.close()
        databaseURL = String(base[...base.lastIndex(of: "/")!]) + name
        queue = "bench_\(UUID().uuidString.prefix(6).lowercased())"
        port = Int.random(in: 20_000..<32_000)
        baseURL = "http://127.0.0.1:\(port)"
    }

    func environment(_ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["BATON_POSTGRES_URL"] = databaseURL
        environment["BATON_QUEUE"] = queue
        environment["BATON_EVENTS_QUEUE"] = queue + ".events"
        environment["BATON_HTTP_PORT"] = String(port)
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

    private func launch(_ executable: String, config: String, extra: [String: String] = [:]) throws -> Process {
        try launch(executable, configPath: root.appendingPathComponent("config/\(config)").path, extra: extra)
    }

    /// Starts one of the stack's binaries with a configuration file anywhere, its output
    /// (both streams) appended to `output` when given.
    func launch(
        _ executable: String, configPath: String, extra: [String: String] = [:], output: FileHandle? = nil,
        onExit: (@Sendable (Process) -> Void)? = nil
    ) throws -> Process {
        let process = Process()
        process.executableURL = Self.binDirectory.appendingPathComponent(executable)
        process.arguments = ["--config", configPath]
        process.environment = environment(extra)
        if let output {
            process.standardOutput = output
            process.standardError = output
        }
        process.terminationHandler = onExit
        try process.run()
        return process
    }

    func startScheduler() async throws {
        scheduler = try launch("baton-scheduler", config: "configuration_scheduler.yaml")
        for _ in 0..<300 {
            if let response = try? await HTTPClient.send(HTTPRequest(url: baseURL + "/healthz", timeout: .seconds(1))),
                response.status == 200
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("the scheduler did not become healthy on port \(port)")
    }

    @discardableResult
    func startWorker(concurrency: Int) throws -> Process {
        let worker = try launch(
            "baton-worker", config: "dev/configuration_worker.yaml",
            extra: ["BATON_WORKER_CONCURRENCY": String(concurrency), "BATON_TEST_HOOKS_FOLDER": Self.testHooksFolder])
        workers.append(worker)
        return worker
    }

    func stop() {
        for process in workers + [scheduler].compactMap({ $0 }) where process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    // MARK: API and database

    func submit(_ request: SubmitWorkflowRequest) async throws {
        try await Self.submit(request, to: baseURL)
    }

    static func submit(_ request: SubmitWorkflowRequest, to baseURL: String) async throws {
        let response = try await HTTPClient.send(
            HTTPRequest(
                method: "POST", url: baseURL + "/v1/workflows", headers: ["Content-Type": "application/json"],
                body: try JSONEncoder().encode(request)))
        guard (200..<300).contains(response.status) else {
            throw BenchError("submit answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
    }

    func query(_ query: PostgresQuery) async throws -> PostgresRows {
        let connection = try await PostgresConnection.connect(databaseURL, name: "bench")
        defer { Task { await connection.close() } }
        return try await connection.query(query)
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

    // MARK: Resources

    /// CPU seconds used so far by the stack: scheduler, workers, PostgreSQL (postmaster
    /// and backends), RabbitMQ.
    func stackCPU() -> [String: Double] {
        var cpu: [String: Double] = [:]
        if let scheduler { cpu["scheduler"] = ProcStat.cpuSeconds(pid: scheduler.processIdentifier) }
        cpu["worker"] = workers.map { ProcStat.cpuSeconds(pid: $0.processIdentifier) }.reduce(0, +)
        if let postmaster = ProcStat.firstLine(root.appendingPathComponent(".run/pg/data/postmaster.pid").path)
            .flatMap(Int32.init)
        {
            cpu["postgres"] = ([postmaster] + ProcStat.children(of: postmaster)).map(ProcStat.cpuSeconds).reduce(0, +)
        }
        if let rabbit = ProcStat.firstLine(root.appendingPathComponent(".run/rabbitmq/rabbitmq.pid").path)
            .flatMap(Int32.init)
        {
            cpu["rabbitmq"] = ProcStat.cpuSeconds(pid: rabbit)
        }
        return cpu
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
