import Foundation

/// Child processes (a browser script, `rabbitmqctl`, a killed daemon) waited for without
/// blocking a thread of Swift's cooperative pool. The pool has one thread per core: on a
/// 2-core CI machine, a test that read its child's pipe synchronously for a minute (the
/// browser test) left every other test in the process, and the schedulers and workers
/// they run in-process, one thread — and a worker-kill test then looked seconds late.
enum ChildProcess {
    struct Outcome: Sendable {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs `process` (its executable, arguments and environment set, not started) to its
    /// end, with its standard output and error read as it writes them.
    static func run(_ process: Process) async throws -> Outcome {
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        async let printed = onOwnThread { output.fileHandleForReading.readDataToEndOfFile() }
        async let complained = onOwnThread { errors.fileHandleForReading.readDataToEndOfFile() }
        let (outputData, errorData) = await (printed, complained)
        await exit(of: process)
        return Outcome(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            errors: String(decoding: errorData, as: UTF8.self))
    }

    /// Waits until a started `process` has exited.
    static func exit(of process: Process) async {
        await onOwnThread { process.waitUntilExit() }
    }

    /// Runs blocking `work` on a thread of its own, outside the cooperative pool.
    private static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }
}
