import Foundation
import Subprocess
import Synchronization
import SystemPackage

/// A child process (a daemon a tool starts, a script a test runs), started and waited
/// for with swift-subprocess instead of Foundation's `Process`.
///
/// On Linux, `Process.run()` crashes now and then: it reads `/proc/self/fd` entries
/// 256 bytes at a time past the end of their buffer (swift-corelibs-foundation #5472,
/// not in this toolchain); it took down a test run. swift-subprocess spawns with
/// `posix_spawn` and closes descriptors with `close_range`. Nothing here blocks a
/// thread of the cooperative pool while the child runs.
///
/// The child's standard input is `input`, then end-of-file.
public final class ChildProcess: Sendable {
    /// Where the child's standard output and error go.
    public enum Output: Sendable {
        /// Both kept, readable as they come (`output`, `errors`).
        case captured
        /// Handed to the child itself: a grandchild that keeps them open (a daemon a
        /// script starts) does not keep this one from ending.
        case handed(output: Destination, errors: Destination)

        public static let discarded = Output.handed(output: .discarded, errors: .discarded)
    }

    public enum Destination: Sendable {
        case discarded
        /// This process's own standard output or error.
        case inherited
        /// Appended to a file, created if needed.
        case file(String)
    }

    /// How a child ended.
    public enum Termination: Sendable, Hashable {
        case exited(Int32)
        case signalled(Int32)

        /// The exit status, or 128 + the signal's number, as a shell reports it.
        public var status: Int32 {
            switch self {
            case .exited(let code): code
            case .signalled(let signal): 128 + signal
            }
        }
    }

    public let processIdentifier: Int32
    private let running: Task<Termination, any Error>
    private let state: SharedState

    private struct State {
        var output = ""
        var errors = ""
        var exited = false
    }

    /// Shared by the instance and the task that runs the child.
    private final class SharedState: Sendable {
        let mutex = Mutex(State())
        func withLock<R>(_ body: (inout State) -> R) -> R { mutex.withLock { body(&$0) } }
    }

    private init(processIdentifier: Int32, running: Task<Termination, any Error>, state: SharedState) {
        self.processIdentifier = processIdentifier
        self.running = running
        self.state = state
    }

    /// Starts `executable` (a path) with `environment` (this process's when nil).
    /// Throws when it cannot be started.
    public static func start(
        _ executable: String, arguments: [String] = [], environment: [String: String]? = nil,
        input: String = "", output: Output = .discarded
    ) async throws -> ChildProcess {
        let state = SharedState()
        let (started, reportStart) = AsyncStream.makeStream(of: Int32.self)
        let configuration = Configuration(
            executable: .path(FilePath(executable)), arguments: Arguments(arguments),
            environment: environment.map { variables in
                .custom(
                    Dictionary(
                        uniqueKeysWithValues: variables.map { (Environment.Key(stringLiteral: $0.key), $0.value) }))
            } ?? .inherit)
        let running = Task<Termination, any Error> {
            defer { reportStart.finish() }
            let termination: TerminationStatus
            switch output {
            case .captured:
                termination = try await Subprocess.run(
                    configuration, input: .string(input), output: .sequence, error: .sequence
                ) { execution in
                    reportStart.yield(execution.processIdentifier.value)
                    reportStart.finish()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try await keep(execution.standardOutput) { text in state.withLock { $0.output += text } }
                        }
                        group.addTask {
                            try await keep(execution.standardError) { text in state.withLock { $0.errors += text } }
                        }
                        try await group.waitForAll()
                    }
                }.terminationStatus
            case .handed(let outputDestination, let errorDestination):
                termination = try await Subprocess.run(
                    configuration, input: .string(input),
                    output: try descriptor(outputDestination, standard: .standardOutput),
                    error: try descriptor(errorDestination, standard: .standardError)
                ) { execution in
                    reportStart.yield(execution.processIdentifier.value)
                    reportStart.finish()
                }.terminationStatus
            }
            state.withLock { $0.exited = true }
            switch termination {
            case .exited(let code): return .exited(code)
            case .signaled(let signal): return .signalled(signal)
            }
        }
        var iterator = started.makeAsyncIterator()
        guard let pid = await iterator.next() else {
            _ = try await running.value  // the error that kept it from starting
            throw ChildProcessError(message: "\(executable) did not start")
        }
        return ChildProcess(processIdentifier: pid, running: running, state: state)
    }

    /// Runs `executable` to its end and returns its exit status and what it printed.
    public static func run(
        _ executable: String, arguments: [String] = [], environment: [String: String]? = nil, input: String = ""
    ) async throws -> (status: Int32, output: String, errors: String) {
        let child = try await start(
            executable, arguments: arguments, environment: environment, input: input, output: .captured)
        let status = try await child.exitStatus()
        return (status, child.output, child.errors)
    }

    /// How it ended, once it did (and, captured, its output has all been read).
    public func termination() async throws -> Termination { try await running.value }

    /// Its exit status once it ended (128 + the signal's number when a signal ended it).
    public func exitStatus() async throws -> Int32 { try await termination().status }

    public var isRunning: Bool { !state.withLock { $0.exited } }

    /// What it printed so far (with `.captured`).
    public var output: String { state.withLock { $0.output } }
    public var errors: String { state.withLock { $0.errors } }

    /// Sends `signal` while it runs (never to a process that reused its id).
    public func send(_ signal: Int32) {
        guard isRunning else { return }
        Foundation.kill(processIdentifier, signal)
    }

    /// SIGKILL, and waits until it is gone.
    public func kill() async {
        send(SIGKILL)
        _ = try? await termination()
    }

    /// SIGTERM, and waits until it is gone.
    public func terminate() async {
        send(SIGTERM)
        _ = try? await termination()
    }

    private static func keep(_ sequence: SubprocessOutputSequence, _ append: (String) -> Void) async throws {
        for try await buffer in sequence {
            append(buffer.withUnsafeBytes { String(decoding: $0, as: UTF8.self) })
        }
    }

    private static func descriptor(
        _ destination: Destination, standard: FileDescriptor
    ) throws
        -> FileDescriptorOutput
    {
        switch destination {
        case .inherited:
            return .fileDescriptor(standard, closeAfterSpawningProcess: false)
        case .discarded:
            return .fileDescriptor(try FileDescriptor.open("/dev/null", .writeOnly), closeAfterSpawningProcess: true)
        case .file(let path):
            let file = try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.append, .create],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
            return .fileDescriptor(file, closeAfterSpawningProcess: true)
        }
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
