import ChildProcesses
import Foundation
import Testing

/// `scripts/stall-proxy.py` in front of the test PostgreSQL: a database whose network
/// or host stops answering without closing anything, for one test's scheduler only.
struct StallProxy {
    let process: ChildProcess
    let port: Int

    static func start(upstreamPort: Int = TestServices.postgresPort) async throws -> StallProxy {
        let script = SchedulerCrashTests.root.appendingPathComponent("scripts/stall-proxy.py").path
        let process = try await ChildProcess.start(
            "/usr/bin/python3", arguments: ["-B", script, "127.0.0.1", String(upstreamPort)], environment: [:],
            output: .captured)
        let end = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < end {
            if let line = process.output.split(separator: "\n").first, let port = Int(line) {
                return StallProxy(process: process, port: port)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        await process.kill()
        Issue.record("the stall proxy did not start: \(process.errors)")
        throw CancellationError()
    }

    /// `url` (the test PostgreSQL's) through the proxy.
    func route(_ url: String) -> String {
        url.replacingOccurrences(of: "127.0.0.1:\(TestServices.postgresPort)", with: "127.0.0.1:\(port)")
    }

    func stall() { process.send(SIGUSR1) }
    func resume() { process.send(SIGUSR2) }
    func stop() async { await process.kill() }
}
