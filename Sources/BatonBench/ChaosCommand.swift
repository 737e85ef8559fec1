import ArgumentParser
import BatonPostgres
import Foundation

/// `baton-bench chaos`: a few hundred mixed workflows against real scheduler replicas
/// and workers while a driver kills workers and schedulers and restarts RabbitMQ and
/// PostgreSQL; then checks the guarantees and prints a report. Loopback only, every
/// loop bounded; one seed draws the whole plan. Run it through `scripts/chaos.sh`
/// (`make chaos`, `make chaos-short`), which starts the services it restarts.
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos", abstract: "Mixed workflows under injected faults, then the guarantees checked.")

    @Option(help: "Seed of the plan (workflow mix, fault kinds and times); random when absent.") var seed: UInt64?
    @Option(help: "Workflows to submit (family children come on top).") var workflows = 300
    @Option(help: "Seconds of submissions and faults (submissions in the first 60 %, faults up to 80 %).")
    var duration = 540.0
    @Option(help: "Faults to inject (every kind at least once when there are five or more).") var faults = 30
    @Option(help: "Workers running at once.") var workers = 3
    @Option(help: "Activities per worker.") var workerConcurrency = 8
    @Option(help: "Scheduler replicas (one database, one queue).") var replicas = 2
    @Option(help: "Seconds after `duration` for every workflow to end before the run gives up.") var settle = 240.0
    @Option(help: "The schedulers' broker_recovery_grace_seconds.") var brokerGrace = 15.0
    @Option(help: "Project root (for config/ and scripts/).") var root = FileManager.default.currentDirectoryPath

    func run() async throws {
        let seed = self.seed ?? UInt64.random(in: 1...999_999)
        let rootURL = URL(fileURLWithPath: root)
        let replay =
            "scripts/chaos.sh --seed \(seed) --workflows \(workflows) --duration \(Int(duration)) --faults \(faults) --workers \(workers) --replicas \(replicas)"
        chaosLog(
            "chaos: seed \(seed) — \(workflows) workflows, \(Int(duration)) s, \(faults) faults; replay: \(replay)")
        // Every wait below is bounded; this bounds the whole run as well, whatever hangs.
        let bound = duration + settle + 180
        Task.detached {
            try await Task.sleep(for: .seconds(bound))
            chaosLog("chaos: FAILED — the run exceeded its bound of \(Int(bound)) s (seed \(seed)); replay: \(replay)")
            Foundation.exit(2)
        }
        let plan = ChaosPlan.make(seed: seed, workflowCount: workflows, duration: duration, faultCount: faults)

        let stack = try await BenchStack(root: rootURL)
        let databaseURL = stack.databaseURL
        let queue = stack.queue
        let logFolder = rootURL.appendingPathComponent(".run/chaos/\(seed)-\(queue)").path
        try FileManager.default.createDirectory(atPath: logFolder, withIntermediateDirectories: true)
        let schedulerConfig = try writeSchedulerConfiguration(root: rootURL, folder: logFolder)
        let executionLogName = "chaos-\(seed)-\(queue).log"
        let executionLogPath = (BenchStack.testHooksFolder as NSString).appendingPathComponent(executionLogName)
        chaosLog(
            "chaos: database \(databaseURL.split(separator: "/").last ?? ""), queue \(queue), daemon logs \(logFolder)")

        let cluster = ChaosCluster(
            stack: stack, replicas: replicas, workerConcurrency: workerConcurrency,
            schedulerConfigPath: schedulerConfig, logFolder: logFolder)
        for port in cluster.schedulerPorts { try await cluster.startScheduler(port: port) }
        for _ in 0..<workers { try await cluster.startWorker() }

        let runStart = ContinuousClock.now
        let injector = ChaosFaultInjector(
            cluster: cluster, root: rootURL, runStart: runStart, wallStart: Date(),
            serviceLog: (logFolder as NSString).appendingPathComponent("service-faults.log"))
        let driver = ChaosDriver(
            cluster: cluster, databaseURL: databaseURL, executionLog: executionLogName, runStart: runStart)
        let minimum = Duration.seconds(plan.faultWindow.upperBound)
        let deadline = Duration.seconds(duration + settle)
        async let records = injector.run(plan.faults, seed: seed)
        async let finished = driver.run(plan, minimum: minimum, deadline: deadline)
        let (faultRecords, driverFinished) = await (records, finished)
        chaosLog("chaos: driving done after \(Int((ContinuousClock.now - runStart).seconds)) s; checking")

        // Let the last acknowledgements land before counting what queues hold. A replica
        // killed just before the end holds its event partitions until their leases expire
        // (8 s): wait that long for the queues to empty, then count what is left.
        try await Task.sleep(for: .seconds(3))
        var queueCounts = try await ChaosQueues.counts(root: rootURL, prefix: queue)
        let drainDeadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < drainDeadline,
            queueCounts.contains(where: { !$0.name.hasSuffix(".dead") && $0.ready + $0.unacked > 0 })
        {
            try await Task.sleep(for: .seconds(1))
            queueCounts = try await ChaosQueues.counts(root: rootURL, prefix: queue)
        }
        let unexpectedExits = await cluster.unexpectedExits()
        let missingDaemons = await cluster.missingDaemons()
        let brokerURL =
            ProcessInfo.processInfo.environment["BATON_BROKER_URL"] ?? "amqp://guest:guest@127.0.0.1:16572"
        let deadQueues = queueCounts.filter { $0.name.hasSuffix(".dead") && $0.ready > 0 }.map(\.name)
        let deadLetters = try await ChaosQueues.deadLetters(brokerURL: brokerURL, queues: deadQueues)
        let tracks = await driver.tracks
        let evidence = ChaosEvidence(
            tracks: tracks, faults: faultRecords, executionLogPath: executionLogPath, unexpectedExits: unexpectedExits,
            missingDaemons: missingDaemons, queueCounts: queueCounts, deadLetters: deadLetters,
            driverFinished: driverFinished)
        let invariants = try await ChaosInvariants(databaseURL: databaseURL, evidence: evidence).check()
        let finalStatus = try await finalStatuses(databaseURL)
        await cluster.stopAll()

        let report = ChaosReport(
            seed: seed, replay: replay, elapsed: (ContinuousClock.now - runStart).seconds, tracks: tracks,
            finalStatus: finalStatus, faults: faultRecords, invariants: invariants,
            driverNotes: [
                "\(tracks.values.filter { $0.plan?.answerDelay != nil && $0.answered }.count) questions answered",
                "\(tracks.values.filter { $0.cancelOutcome == "accepted" }.count) cancels accepted",
                "\(tracks.values.filter { $0.cancelOutcome?.hasPrefix("refused") == true }.count) cancels refused (already ended)",
                "\(tracks.values.map(\.submitErrors).reduce(0, +)) submit retries",
                "\(await driver.apiErrors) API calls unanswered or 5xx",
                "\(await driver.pollErrors) status polls failed",
            ])
        let text = report.render()
        chaosLog(text)
        try? text.write(
            toFile: (logFolder as NSString).appendingPathComponent("report.txt"), atomically: true, encoding: .utf8)
        if !report.passed { throw ExitCode(1) }
    }

    /// The shipped scheduler configuration with this run's broker grace (the
    /// environment overrides the rest, as for every benchmark).
    private func writeSchedulerConfiguration(root: URL, folder: String) throws -> String {
        let shipped = try String(
            contentsOf: root.appendingPathComponent("config/configuration_scheduler.yaml"), encoding: .utf8)
        let path = (folder as NSString).appendingPathComponent("configuration_scheduler.yaml")
        // The shipped file may set the key already: this run's value replaces it.
        let kept = shipped.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("broker_recovery_grace_seconds:") }.joined(separator: "\n")
        try (kept + "\nbroker_recovery_grace_seconds: \(brokerGrace)\n").write(
            toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func finalStatuses(_ databaseURL: String) async throws -> [String: String] {
        let connection = try await PostgresConnection.connect(databaseURL, name: "chaos-report")
        defer { Task { await connection.close() } }
        let rows = try await connection.query("SELECT id, status, error->>'kind' AS kind FROM workflows")
        var statuses: [String: String] = [:]
        for row in rows.all {
            guard let id = row["id"], let status = row["status"] else { continue }
            statuses[id] = row["kind"] == "worker_crashed" ? "failed:worker_crashed" : status
        }
        return statuses
    }
}

/// A progress line, written at once (print is block-buffered into a pipe, and a
/// killed run would lose it).
func chaosLog(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
