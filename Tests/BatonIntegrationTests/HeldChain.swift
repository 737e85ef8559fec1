import BatonContracts
import Foundation
import Testing

/// A chain workflow one of whose steps waits for the test's go-ahead (the chain's
/// `hold_at`/`hold_file` hooks), with an execution log: a test kills, drains or cuts
/// off a worker while it is certainly inside that step, however late a loaded machine
/// lets the test look, and then lets it go on.
struct HeldChain {
    let name: String
    let steps: Int
    let holdAt: Int

    init(_ prefix: String, steps: Int, holdAt: Int) {
        name = "\(prefix)-\(UUID().uuidString.prefix(8))"
        self.steps = steps
        self.holdAt = holdAt
    }

    var input: JSONValue {
        [
            "steps": .number(Double(steps)), "sleep_ms": 300, "exec_log": .string(name + ".log"),
            "hold_at": .number(Double(holdAt)), "hold_file": .string(name + ".go"),
        ]
    }

    /// Waits until a worker has started the held step (the execution log, written by the
    /// worker as each node starts): the worker's own progress, which a loaded scheduler
    /// applying its events late cannot make look earlier than it is.
    func waitUntilHeld() async throws {
        let node = " step_\(holdAt) "
        let path = Self.folder.appendingPathComponent(name + ".log").path
        try await Stack.waitUntil("a worker to start step_\(holdAt)") {
            (try? String(contentsOfFile: path, encoding: .utf8))?.contains(node) == true
        }
    }

    /// The steps run so far, as `step_N attempt`, in the order they started.
    func executions() -> [String] {
        let path = Self.folder.appendingPathComponent(name + ".log").path
        let log = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return log.split(separator: "\n").map { $0.split(separator: " ").dropFirst().joined(separator: " ") }
    }

    /// Lets the held step go on.
    func release() throws {
        let path = Self.folder.appendingPathComponent(name + ".go").path
        try #require(FileManager.default.createFile(atPath: path, contents: Data()))
    }

    /// The workers' test hooks folder, in the tests (`Stack.workerServices`) and in the
    /// worker processes they start.
    static var folder: URL { FileManager.default.temporaryDirectory }
}
