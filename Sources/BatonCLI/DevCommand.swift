import ArgumentParser
import BatonIdentity
import ChildProcesses
import Dispatch
import Foundation

/// `baton dev`: a whole local stack in one command, for writing and trying agents.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Runs a local stack: PostgreSQL and RabbitMQ, the scripted model, a scheduler and workers.",
        discussion: """
            Starts PostgreSQL and RabbitMQ with scripts/services.sh (installing them if needed),
            then baton-scripted-llm, baton-scheduler and the workers from the folder this
            command lives in (build them first: swift build). Logs go to .run/logs/dev-*.log.
            The API needs a key even here: a fresh administrator key is made at each start,
            printed, and written to .run/dev-api-key (readable by you alone).
            Ctrl-C stops the processes (the services keep running: make services-stop).
            """)

    @Option(help: "The project folder (with scripts/ and config/).")
    var root = FileManager.default.currentDirectoryPath

    @Option(help: "Worker processes.")
    var workers = 1

    @Flag(help: "Do not start the scripted model (the workers' configuration then names a real one).")
    var noScriptedModel = false

    func run() async throws {
        let root = URL(fileURLWithPath: root)
        let services = root.appendingPathComponent("scripts/services.sh").path
        guard FileManager.default.fileExists(atPath: services) else {
            throw ValidationError(
                "no scripts/services.sh under \(root.path): run this in the project folder or give --root")
        }
        guard (1...16).contains(workers) else { throw ValidationError("--workers must be between 1 and 16") }
        try await Self.runToEnd("/bin/bash", [services, "start"])
        var environment = ProcessInfo.processInfo.environment
        for line in try await ChildProcess.run("/bin/bash", arguments: [services, "env"]).output.split(separator: "\n")
        {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { environment[parts[0]] = parts[1] }
        }
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let logs = root.appendingPathComponent(".run/logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let hooks = root.appendingPathComponent(".run/test-hooks")
        try FileManager.default.createDirectory(at: hooks, withIntermediateDirectories: true)
        environment["BATON_TEST_HOOKS_FOLDER"] = hooks.path
        let key = APIKeyToken.generate()
        let keyFile = root.appendingPathComponent(".run/dev-api-key")
        guard
            FileManager.default.createFile(
                atPath: keyFile.path, contents: Data((key.text + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw ValidationError("cannot write \(keyFile.path)") }
        let config = root.appendingPathComponent("config").path
        var plan: [(name: String, executable: String, arguments: [String], environment: [String: String])] = []
        if !noScriptedModel {
            plan.append(
                ("scripted-llm", "baton-scripted-llm", ["--script", "\(config)/scripted-llm/demo.json"], environment))
        }
        var schedulerEnvironment = environment
        schedulerEnvironment["BATON_ADMIN_KEY_SHA256"] = key.sha256
        plan.append(
            (
                "scheduler", "baton-scheduler", ["--config", "\(config)/configuration_scheduler.yaml"],
                schedulerEnvironment
            ))
        for index in 0..<workers {
            var workerEnvironment = environment
            workerEnvironment["BATON_WORKER_METRICS_PORT"] = String(18_091 + index)
            plan.append(
                (
                    "worker-\(index + 1)", "baton-worker", ["--config", "\(config)/dev/configuration_worker.yaml"],
                    workerEnvironment
                ))
        }
        var running: [(name: String, process: ChildProcess)] = []
        defer { Self.stop(running) }
        for entry in plan {
            let executable = bin.appendingPathComponent(entry.executable)
            guard FileManager.default.isExecutableFile(atPath: executable.path) else {
                throw ValidationError("\(executable.path) is missing: build it with 'swift build'")
            }
            let log = logs.appendingPathComponent("dev-\(entry.name).log")
            try? FileManager.default.removeItem(at: log)
            let process = try await ChildProcess.start(
                executable.path, arguments: entry.arguments, environment: entry.environment,
                output: .handed(output: .file(log.path), errors: .file(log.path)))
            running.append((entry.name, process))
            print("started \(entry.name) (pid \(process.processIdentifier)), log \(log.path)")
        }
        print(
            """
            web page and API: http://127.0.0.1:8080/   metrics: /metrics (scheduler), :18091/metrics (worker 1)
            API key (administrator of tenant 'default', also in \(keyFile.path)):
              export BATON_API_KEY=\(key.text)
            try: baton submit --agent operations_analysis --input '{"request": "Why are deliveries late?"}' --wait
            Ctrl-C stops everything.
            """)
        let stopped = try await Self.waitForStopOrExit(running)
        if let stopped {
            print("\(stopped) exited on its own; stopping the others (see .run/logs/dev-\(stopped).log)")
            throw ExitCode(1)
        }
        print("stopping the scheduler, the workers and the scripted model")
    }

    /// Waits for Ctrl-C or SIGTERM (nil), or for a process to exit (its name).
    static func waitForStopOrExit(_ running: [(name: String, process: ChildProcess)]) async throws -> String? {
        let (signals, continuation) = AsyncStream.makeStream(of: Int32.self)
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        defer { sources.forEach { $0.cancel() } }
        let processes = running
        return try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                for await _ in signals { return nil }
                return nil
            }
            group.addTask {
                while true {
                    if let exited = processes.first(where: { !$0.process.isRunning }) { return exited.name }
                    try await Task.sleep(for: .milliseconds(300))
                }
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    /// SIGTERM to each, in reverse start order, and waits for them (30 s at most, then
    /// SIGKILL). It blocks its thread: called from `defer`, as the command ends.
    static func stop(_ running: [(name: String, process: ChildProcess)]) {
        for (_, process) in running.reversed() { process.send(SIGTERM) }
        let end = ContinuousClock.now + .seconds(30)
        while running.contains(where: { $0.process.isRunning }), ContinuousClock.now < end { usleep(20_000) }
        for (_, process) in running { process.send(SIGKILL) }
    }

    /// Runs a command with this terminal's output; its descriptors, not a pipe, so that
    /// the daemons a script starts do not hold this command back.
    static func runToEnd(_ executable: String, _ arguments: [String]) async throws {
        let process = try await ChildProcess.start(
            executable, arguments: arguments, output: .handed(output: .inherited, errors: .inherited))
        let status = try await process.exitStatus()
        guard status == 0 else {
            throw ValidationError("\(arguments.joined(separator: " ")) failed (exit \(status))")
        }
    }
}
