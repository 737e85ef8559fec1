import BatonContracts
import ChildProcesses
import Foundation
import Synchronization
import Testing

/// Issue #13: the `baton` binary against a real stack. A piped `watch` printed nothing
/// (its output sat in a buffer until exit) and every failure exited with 1.
@Suite struct CLITests {
    static let binary = SchedulerCrashTests.root.appendingPathComponent(".build/debug/baton")

    /// A running `baton`, its output read as it comes.
    final class Run: Sendable {
        let process: ChildProcess
        let arguments: [String]

        init(
            _ arguments: [String], scheduler: String, key: String?, input: String? = nil, home: String? = nil
        ) async throws {
            try #require(
                FileManager.default.isExecutableFile(atPath: CLITests.binary.path), "build it with 'swift build'")
            var environment = ProcessInfo.processInfo.environment
            environment["BATON_SCHEDULER_URL"] = scheduler
            environment["BATON_API_KEY"] = key
            if let home { environment["XDG_CONFIG_HOME"] = home }
            self.arguments = arguments
            process = try await ChildProcess.start(
                CLITests.binary.path, arguments: arguments, environment: environment, input: input ?? "",
                output: .captured)
        }

        var printed: String { process.output }
        var complained: String { process.errors }

        /// Waits for `text` in the output while the process runs; the deadline only stops a hung test.
        func waitForOutput(containing text: String) async throws -> Bool {
            for _ in 0..<1200 {
                if printed.contains(text) { return true }
                if !process.isRunning { return printed.contains(text) }
                try await Task.sleep(for: .milliseconds(50))
            }
            return false
        }

        /// Its exit status, once it ended and its output was all read.
        func status() async throws -> Int32 {
            for _ in 0..<1200 where process.isRunning {
                try await Task.sleep(for: .milliseconds(50))
            }
            if process.isRunning {
                await process.terminate()
                Issue.record("baton \(arguments) did not exit")
                return -1
            }
            return try await process.exitStatus()
        }
    }

    static func baton(
        _ arguments: [String], _ stack: Stack, as holder: String? = "admin", input: String? = nil, home: String? = nil
    ) async throws -> (status: Int32, output: String, errors: String) {
        let run = try await Run(
            arguments, scheduler: stack.baseURL, key: holder.map { TestServices.keys[$0]!.text }, input: input,
            home: home)
        let status = try await run.status()
        return (status, run.printed, run.complained)
    }

    /// Piped, `watch` prints each change as it happens: the question and its choice
    /// ids while the workflow waits, then the result once it is answered; exit 0.
    @Test func aPipedWatchPrintsAsItGoesAndShowsTheChoices() async throws {
        try await Stack.run { stack in
            _ = try await stack.submit(
                SubmitWorkflowRequest(id: "asks", agent: "chain", input: ["steps": 3, "ask_at": 1]))
            let watch = try await Run(
                ["watch", "asks"], scheduler: stack.baseURL, key: TestServices.keys["admin"]!.text)
            #expect(try await watch.waitForOutput(containing: "--choice go"), "printed: \(watch.printed)")
            #expect(watch.printed.contains("waiting for an answer: Step 1 waits for a go-ahead."))
            #expect(watch.process.isRunning)
            let answered = try await stack.post("/v1/workflows/asks/input", json: #"{"answer": {"choice": "go"}}"#)
            #expect(answered.status == 200)
            #expect(try await watch.status() == 0, "\(watch.complained)")
            #expect(watch.printed.contains("completed"))
            #expect(watch.printed.contains(#""node":"step_2""#))
        }
    }

    /// Each kind of outcome has its own exit status, and `--json` prints JSON.
    @Test func exitStatusesTellOutcomesApartAndJSONIsJSON() async throws {
        try await Stack.run { stack in
            let missing = try await Self.baton(["status", "no-such-workflow"], stack)
            #expect(missing.status == 3, "\(missing.errors)")
            #expect(missing.errors.contains("no workflow with id 'no-such-workflow'"))

            let refused = try await Self.baton(["submit", "--agent", "chain", "--input", #"{"steps": 0}"#], stack)
            #expect(refused.status == 5, "\(refused.errors)")
            #expect(refused.errors.contains("input/steps: must be at least 1"))

            let noKey = try await Self.baton(["list"], stack, as: nil, home: NSTemporaryDirectory() + UUID().uuidString)
            #expect(noKey.status == 64)
            #expect(noKey.errors.contains("baton login"))

            _ = try await stack.submit(
                SubmitWorkflowRequest(id: "stopped", agent: "chain", input: ["sleep_ms": 60_000]))
            _ = try await stack.post("/v1/workflows/stopped/cancel", json: "{}")
            let cancelled = try await Self.baton(["watch", "--json", "stopped"], stack)
            #expect(cancelled.status == 2, "\(cancelled.errors)")
            let events = cancelled.output.split(separator: "\n").compactMap { JSONValue(parsing: String($0)) }
            #expect(events.first?["event"] == "workflow")
            #expect(events.last?["event"] == "end")
            #expect(events.last?["data"]?["status"] == "cancelled")

            _ = try await stack.submit(SubmitWorkflowRequest(id: "held", agent: "chain", input: ["sleep_ms": 60_000]))
            try await Stack.waitUntil("held starts") { try await stack.workflow("held").status == .running }
            let paused = try await Self.baton(["pause", "held"], stack)
            #expect(paused.status == 0, "\(paused.errors)")
            #expect(paused.output.contains("pausing: it stops at its next checkpoint"))
            let terminated = try await Self.baton(["terminate", "held", "--reason", "done with it", "--json"], stack)
            #expect(JSONValue(parsing: terminated.output)?["error"]?["kind"] == "terminated")
            let again = try await Self.baton(["resume", "held"], stack)
            #expect(again.status == 5)
            #expect(again.errors.contains("already ended"))

            let agents = try await Self.baton(["agents", "--json"], stack)
            #expect(agents.status == 0)
            #expect(JSONValue(parsing: agents.output)?.arrayValue?.contains { $0["name"] == "chain" } == true)
        }
        let unreachable = try await Run(
            ["status", "x"], scheduler: "http://127.0.0.1:9", key: TestServices.keys["admin"]!.text)
        #expect(try await unreachable.status() == 4)
    }

    /// `baton login` checks the key, saves it readable by its owner only, and later
    /// commands use it without BATON_API_KEY.
    @Test func loginSavesAKeyTheNextCommandsUse() async throws {
        try await Stack.run { stack in
            let home = NSTemporaryDirectory() + "baton-login-" + UUID().uuidString
            let login = try await Self.baton(
                ["login"], stack, as: nil, input: TestServices.keys["alice"]!.text + "\n", home: home)
            #expect(login.status == 0, "\(login.errors)")
            #expect(login.output.contains("as alice (tenant default"))
            let saved = home + "/baton/api-key"
            let permissions = try FileManager.default.attributesOfItem(atPath: saved)[.posixPermissions] as? Int
            #expect(permissions == 0o600)
            let list = try await Self.baton(["list", "--json"], stack, as: nil, home: home)
            #expect(list.status == 0, "\(list.errors)")
            #expect(JSONValue(parsing: list.output)?.arrayValue != nil)

            let wrong = try await Self.baton(["login"], stack, as: nil, input: "bk_nope\n", home: home + "-wrong")
            #expect(wrong.status == 5)
            #expect(!FileManager.default.fileExists(atPath: home + "-wrong/baton/api-key"))
        }
    }
}
