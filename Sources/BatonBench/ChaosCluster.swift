import BatonHTTPClient
import ChildProcesses
import Foundation
import Synchronization

/// The daemons of a chaos run as real processes: scheduler replicas (one database and
/// queue, different HTTP ports) and workers. It knows which processes the driver killed
/// or stopped, so that any other exit is reported as a daemon that died on its own.
actor ChaosCluster {
    struct Daemon: Sendable {
        var name: String
        var pid: Int32
        var log: String
    }

    /// Every exit of a daemon, recorded by its termination handler.
    struct Exit: Sendable {
        var pid: Int32
        var status: Int32
        var signalled: Bool
        var at: Date
    }

    private let stack: BenchStack
    private let schedulerConfigPath: String
    private let workerConcurrency: Int
    let logFolder: String
    /// Every daemon's pid, one a line (`CHAOS_PID_FILE`, else `pids` in the log folder).
    private let pidFile: String
    let schedulerPorts: [Int]
    private var schedulers: [Int: ChildProcess] = [:]
    private var workers: [ChildProcess] = []
    private var daemons: [Int32: Daemon] = [:]
    /// Processes the driver SIGKILLed, and those it stopped at the end.
    private(set) var killedByDriver: [Int32: Date] = [:]
    private var stoppedAtTeardown: Set<Int32> = []
    private var started = 0
    private let exits = ExitLog()

    /// Written by the tasks that wait for each daemon's end, read by the actor.
    final class ExitLog: Sendable {
        private let entries = Mutex<[Exit]>([])
        func append(_ exit: Exit) { entries.withLock { $0.append(exit) } }
        var all: [Exit] { entries.withLock { $0 } }
    }

    init(
        stack: sending BenchStack, replicas: Int, workerConcurrency: Int, schedulerConfigPath: String,
        logFolder: String
    ) {
        self.stack = stack
        self.schedulerConfigPath = schedulerConfigPath
        self.workerConcurrency = workerConcurrency
        self.logFolder = logFolder
        pidFile =
            ProcessInfo.processInfo.environment["CHAOS_PID_FILE"]
            ?? (logFolder as NSString).appendingPathComponent("pids")
        if !FileManager.default.fileExists(atPath: pidFile) {
            _ = FileManager.default.createFile(atPath: pidFile, contents: nil)
        }
        let base = stack.port
        schedulerPorts = (0..<replicas).map { base + $0 }
    }

    var databaseURL: String { stack.databaseURL }
    var queue: String { stack.queue }

    /// The replicas running now, as base URLs.
    var liveSchedulerURLs: [String] {
        schedulerPorts.filter { schedulers[$0] != nil }.map { "http://127.0.0.1:\($0)" }
    }

    var liveWorkerCount: Int { workers.count }

    private func launch(
        _ executable: String, name: String, configPath: String, extra: [String: String]
    ) async throws
        -> ChildProcess
    {
        started += 1
        let logPath = (logFolder as NSString).appendingPathComponent("\(name)-\(started).log")
        let exits = self.exits
        let process = try await BenchStack.launch(
            executable, configPath: configPath,
            environment: stack.environment(extra.merging(["BATON_LOG_LEVEL": "warning"]) { $1 }), log: logPath)
        Task {
            guard let termination = try? await process.termination() else { return }
            let signalled = if case .signalled = termination { true } else { false }
            exits.append(
                Exit(pid: process.processIdentifier, status: termination.status, signalled: signalled, at: Date()))
        }
        daemons[process.processIdentifier] = Daemon(name: name, pid: process.processIdentifier, log: logPath)
        // scripts/chaos.sh kills these by pid if this driver dies before it stops them.
        if let pids = FileHandle(forWritingAtPath: pidFile) {
            pids.seekToEndOfFile()
            pids.write(Data("\(process.processIdentifier)\n".utf8))
            pids.closeFile()
        }
        return process
    }

    /// Starts the replica on `port` and waits until it answers /healthz (30 s at most).
    func startScheduler(port: Int) async throws {
        let process = try await launch(
            "baton-scheduler", name: "scheduler-\(port)", configPath: schedulerConfigPath,
            extra: ["BATON_HTTP_PORT": String(port), "BATON_SCHEDULER_METRICS_PORT": "0"])
        schedulers[port] = process
        let end = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < end, process.isRunning {
            let health = HTTPRequest(url: "http://127.0.0.1:\(port)/healthz", timeout: .seconds(1))
            if let response = try? await HTTPClient.send(health), response.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError(
            "the scheduler on port \(port) did not become healthy (see \(daemons[process.processIdentifier]?.log ?? "its log"))"
        )
    }

    func startWorker() async throws {
        let process = try await launch(
            "baton-worker", name: "worker",
            configPath: stack.root.appendingPathComponent(
                "config/dev/configuration_worker.yaml"
            ).path,
            extra: [
                "BATON_WORKER_CONCURRENCY": String(workerConcurrency),
                "BATON_TEST_HOOKS_FOLDER": BenchStack.testHooksFolder,
            ])
        workers.append(process)
    }

    private func sigkill(_ process: ChildProcess) {
        killedByDriver[process.processIdentifier] = Date()
        process.send(SIGKILL)
    }

    /// SIGKILLs the worker at `index` (modulo the live count); returns its pid.
    func killWorker(index: Int) -> Int32? {
        guard !workers.isEmpty else { return nil }
        let process = workers.remove(at: index % workers.count)
        sigkill(process)
        return process.processIdentifier
    }

    /// SIGKILLs the replica on `port`; returns its pid.
    func killScheduler(port: Int) -> Int32? {
        guard let process = schedulers.removeValue(forKey: port) else { return nil }
        sigkill(process)
        return process.processIdentifier
    }

    /// Daemons that exited although the driver neither killed nor stopped them.
    func unexpectedExits() -> [(Daemon, Exit)] {
        exits.all.filter { killedByDriver[$0.pid] == nil && !stoppedAtTeardown.contains($0.pid) }.map {
            (daemons[$0.pid] ?? Daemon(name: "?", pid: $0.pid, log: "?"), $0)
        }
    }

    /// Daemons the driver started that are not running although it never killed them
    /// (their exit may not have been recorded yet).
    func missingDaemons() -> [Daemon] {
        (Array(schedulers.values) + workers).filter { !$0.isRunning }.compactMap {
            daemons[$0.processIdentifier]
        }
    }

    /// SIGTERM to every daemon (workers first), SIGKILL after 15 s.
    func stopAll() async {
        for process in workers + Array(schedulers.values) where process.isRunning {
            stoppedAtTeardown.insert(process.processIdentifier)
            process.send(SIGTERM)
        }
        let end = ContinuousClock.now + .seconds(15)
        for process in workers + Array(schedulers.values) {
            while process.isRunning, ContinuousClock.now < end {
                try? await Task.sleep(for: .milliseconds(100))
            }
            process.send(SIGKILL)
        }
        workers = []
        schedulers = [:]
    }
}
