import ChildProcesses
import Foundation
import Testing

/// The child processes tools and tests start (swift-subprocess, not Foundation's
/// `Process`, whose `run()` crashed a test run now and then on Linux).
@Suite struct ChildProcessTests {
    @Test func exitStatusesOutputInputAndEnvironmentComeBack() async throws {
        let run = try await ChildProcess.run(
            "/bin/sh", arguments: ["-c", #"read line; echo "got $line and $GREETING"; echo oops >&2; exit 3"#],
            environment: ["GREETING": "hello", "PATH": "/usr/bin:/bin"], input: "it\n")
        #expect(run.status == 3)
        #expect(run.output == "got it and hello\n")
        #expect(run.errors == "oops\n")
    }

    @Test func aSignalledChildSaysSoAndIsGoneAfterKill() async throws {
        let sleeper = try await ChildProcess.start("/bin/sleep", arguments: ["60"])
        #expect(sleeper.isRunning)
        await sleeper.kill()
        #expect(!sleeper.isRunning)
        #expect(try await sleeper.termination() == .signalled(SIGKILL))
        #expect(try await sleeper.exitStatus() == 128 + SIGKILL)
        sleeper.send(SIGKILL)  // after its end: nothing, whoever has the pid now
    }

    /// A script that leaves a daemon behind (as services.sh starts PostgreSQL) ends when
    /// it does: its output is a file the daemon may keep open, not a pipe to read to its end.
    @Test func aChildWhoseDaemonKeepsItsOutputOpenStillEnds() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let script = try await ChildProcess.start(
            "/bin/sh", arguments: ["-c", "echo started; (sleep 30 &) ; echo done"],
            output: .handed(output: .file(log), errors: .file(log)))
        let ended = try await Self.within(.seconds(10)) { try await script.exitStatus() }
        #expect(ended == 0)
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "started\ndone\n")
    }

    /// Many spawns while this process holds many descriptors: the case that made
    /// `Process.run()` read past its buffer.
    @Test func manySpawnsWithManyOpenDescriptors() async throws {
        let held = (0..<300).map { _ in open("/dev/null", O_RDONLY) }
        defer { for descriptor in held { close(descriptor) } }
        try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<60 { group.addTask { try await ChildProcess.run("/bin/true").status } }
            for try await status in group { #expect(status == 0) }
        }
    }

    @Test func aMissingExecutableIsAnErrorNotACrash() async throws {
        await #expect(throws: (any Error).self) {
            _ = try await ChildProcess.start("/no/such/program")
        }
    }

    static func within<T: Sendable>(
        _ limit: Duration, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let value = try await group.next() ?? nil else {
                Issue.record("did not end within \(limit)")
                throw CancellationError()
            }
            return value
        }
    }
}
