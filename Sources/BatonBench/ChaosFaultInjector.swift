import ChildProcesses
import Foundation

/// A fault as it happened.
struct ChaosFaultRecord: Sendable {
    var kind: ChaosFaultKind
    /// Wall-clock start and end (the database's timestamps are compared with them).
    var startedAt: Date
    var endedAt: Date
    /// Seconds after the run's start.
    var offset: Double
    var detail: String
    /// Processes SIGKILLed by this fault.
    var killedPIDs: [Int32] = []
    /// Set when the fault could not be injected (the run is then not trustworthy).
    var error: String?
}

/// Runs the plan's faults one after the other, each at its time or when the previous
/// one has ended, whichever is later.
struct ChaosFaultInjector {
    let cluster: ChaosCluster
    let root: URL
    let runStart: ContinuousClock.Instant
    let wallStart: Date
    /// Output of the service faults' script.
    let serviceLog: String

    func run(_ faults: [ChaosFaultPlan], seed: UInt64) async -> [ChaosFaultRecord] {
        var random = ChaosRandom(seed: seed ^ 0xFA17)
        var records: [ChaosFaultRecord] = []
        for fault in faults {
            let due = runStart + .milliseconds(Int(fault.at * 1000))
            if ContinuousClock.now < due { try? await Task.sleep(until: due) }
            if Task.isCancelled { break }
            let offset = (ContinuousClock.now - runStart).seconds
            let startedAt = Date()
            chaosLog(String(format: "chaos: %6.1f s fault %@ starts", offset, fault.kind.rawValue))
            var record = ChaosFaultRecord(
                kind: fault.kind, startedAt: startedAt, endedAt: startedAt, offset: offset, detail: "")
            do {
                try await inject(fault, into: &record, random: &random)
            } catch {
                record.error = "\(error)"
            }
            record.endedAt = Date()
            chaosLog(
                String(
                    format: "chaos: %6.1f s fault %@ ended: ", (ContinuousClock.now - runStart).seconds,
                    fault.kind.rawValue)
                    + record.detail + (record.error.map { " FAILED: \($0)" } ?? ""))
            records.append(record)
        }
        return records
    }

    private func inject(
        _ fault: ChaosFaultPlan, into record: inout ChaosFaultRecord, random: inout ChaosRandom
    )
        async throws
    {
        let down = String(format: "%.1f s", fault.downFor)
        switch fault.kind {
        case .workerKill:
            let pick = Int.random(in: 0..<1000, using: &random)
            guard let pid = await cluster.killWorker(index: pick) else { throw BenchError("no worker to kill") }
            record.killedPIDs = [pid]
            record.detail = "worker pid \(pid), replacement after \(down)"
            try await Task.sleep(for: .seconds(fault.downFor))
            try await cluster.startWorker()
        case .schedulerKill:
            let ports = cluster.schedulerPorts
            let port = ports[Int.random(in: 0..<ports.count, using: &random)]
            guard let pid = await cluster.killScheduler(port: port) else {
                throw BenchError("replica \(port) was not running")
            }
            record.killedPIDs = [pid]
            record.detail = "replica :\(port) pid \(pid), down \(down)"
            try await Task.sleep(for: .seconds(fault.downFor))
            try await cluster.startScheduler(port: port)
        case .schedulerOutage:
            for port in cluster.schedulerPorts {
                if let pid = await cluster.killScheduler(port: port) { record.killedPIDs.append(pid) }
            }
            record.detail =
                "all \(record.killedPIDs.count) replicas down \(down) (heartbeat timeout \(ChaosPlan.heartbeatTimeout) s)"
            try await Task.sleep(for: .seconds(fault.downFor))
            for port in cluster.schedulerPorts { try await cluster.startScheduler(port: port) }
        case .rabbitmqRestart:
            // On a cluster, one node dies; which one follows from the plan, without a
            // draw of its own (so that a seed replays the same faults either way).
            let node = Int(fault.at * 1000) % 3 + 1
            record.detail =
                ProcessInfo.processInfo.environment["CHAOS_BROKER"] == "cluster"
                ? "cluster node \(node) SIGKILLed, down \(down), started" : "stop_app, down \(down), start_app"
            try await ChaosServices.run(
                root: root, log: serviceLog, ["rabbitmq-restart", String(fault.downFor), String(node)])
        case .postgresRestart:
            record.detail = "pg_ctl stop -m fast, down \(down), start"
            try await ChaosServices.run(root: root, log: serviceLog, ["postgres-restart", String(fault.downFor)])
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// The service faults, done by `scripts/chaos.sh` (it knows how services.sh runs them).
enum ChaosServices {
    /// Runs the script to its end (two minutes at most), its output in `log`. The
    /// output goes to the file itself, not through a pipe: a script that restarts
    /// PostgreSQL leaves the new postmaster holding it.
    static func run(root: URL, log: String, _ arguments: [String]) async throws {
        let status = try await runBounded(
            root.appendingPathComponent("scripts/chaos.sh").path, arguments,
            output: .handed(output: .file(log), errors: .file(log)), limit: .seconds(120), what: "see \(log)")
        if status != 0 {
            throw BenchError("scripts/chaos.sh \(arguments.joined(separator: " ")) exited \(status); see \(log)")
        }
    }

    /// Runs a command until it exits or `limit` passes (then kills it and throws);
    /// returns its exit status.
    static func runBounded(
        _ executable: String, _ arguments: [String], output: ChildProcess.Output, limit: Duration, what: String
    ) async throws -> Int32 {
        let process = try await ChildProcess.start(executable, arguments: arguments, output: output)
        let end = ContinuousClock.now + limit
        while process.isRunning, ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(100))
        }
        if process.isRunning {
            await process.kill()
            throw BenchError(
                "\((executable as NSString).lastPathComponent) \(arguments.joined(separator: " ")) still running after \(limit)"
                    + (what.isEmpty ? "" : "; \(what)"))
        }
        return try await process.exitStatus()
    }

    /// Runs a command to its end (one minute at most) and returns its standard output,
    /// read from a file once it has exited (a pipe could be held open by a grandchild).
    static func capture(_ executable: URL, _ arguments: [String]) async throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("chaos-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try await runBounded(
            executable.path, arguments, output: .handed(output: .file(path), errors: .discarded), limit: .seconds(60),
            what: "")
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}
