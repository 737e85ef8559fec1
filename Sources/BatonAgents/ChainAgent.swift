import BatonContracts
import BatonGraph
import Foundation

/// A chain of `steps` nodes (default 5) that each append `{node, attempt}` to the
/// state and optionally sleep in place of an LLM call. Used by tests and benchmarks
/// (the WORKLOADS.md chain); it calls no model.
///
/// Input: `{"steps": 5, "sleep_ms": 0, "exec_log": "w3.log", "ask_at": 2, "payload_bytes": 1024}`,
/// all optional. With `payload_bytes`, each step's record also carries `payload`, a
/// string of that many bytes (ASCII, different in every step, so that PostgreSQL's
/// compression does not hide it): a state that grows by that much per step, like a
/// conversation (the W6 workload).
/// With `exec_log`, every node execution appends, as it starts, one line
/// `workflow node attempt` to that file (one `O_APPEND` write), so a benchmark can count
/// steps that ran more than once. It is a test hook: only a plain file name, inside the
/// folder the worker's configuration names in `test_hooks_folder`, and refused when
/// that is not set — a workflow's input never chooses where a worker writes. With
/// `ask_at`, that step asks a person to go on (a workflow waiting for input, for the
/// footprint benchmark). With `hold_at` and `hold_file`, that step waits, as it starts
/// and after its `exec_log` line, until `hold_file` exists in the hooks folder: a test
/// kills or drains a worker while it is certainly inside that step, however late the
/// loaded machine lets the test look.
public struct ChainAgent: Agent {
    public struct StepRecord: Codable, Sendable, Hashable {
        public var node: String
        public var attempt: Int
        /// `payload_bytes` bytes; nil without that input.
        public var payload: String?
    }

    /// The most `payload_bytes` one step may add: 500 steps of it stay under a message's 8 MiB.
    public static let maximumPayloadBytes = 16_384

    public struct State: GraphState {
        public var steps: [StepRecord] = []
        public static let reducers: [String: Reducer] = ["steps": .append]
    }

    public let name = "chain"
    public var summary: String {
        "A chain of steps that call no model: for tests, benchmarks and trying a deployment out."
    }
    public var inputSchema: JSONSchema {
        JSONSchema([
            "type": "object",
            "additionalProperties": false,
            "properties": [
                "steps": ["type": "integer", "minimum": 1, "maximum": 1000, "default": 5],
                "sleep_ms": [
                    "type": "integer", "minimum": 0, "maximum": 3_600_000, "default": 0,
                    "description": "How long each step sleeps, in place of a model call.",
                ],
                "ask_at": [
                    "type": "integer", "minimum": 0, "maximum": 999,
                    "description": "The step that asks a person to go on.",
                ],
                "payload_bytes": [
                    "type": "integer", "minimum": 0, "maximum": .number(Double(Self.maximumPayloadBytes)),
                    "description": "Bytes each step adds to the state.",
                ],
                "exec_log": [
                    "type": "string", "minLength": 1, "maxLength": 255,
                    "description": "Test hook: a file in the worker's test_hooks_folder that logs every step run.",
                ],
                "hold_at": [
                    "type": "integer", "minimum": 0, "maximum": 999,
                    "description": "Test hook: the step that waits for hold_file.",
                ],
                "hold_file": [
                    "type": "string", "minLength": 1, "maxLength": 255,
                    "description":
                        "Test hook: a file in the worker's test_hooks_folder whose creation lets step hold_at go on.",
                ],
            ],
        ])
    }
    /// See `AgentResources.testHooksFolder`.
    public let testHooksFolder: String?

    public init(testHooksFolder: String? = nil) {
        self.testHooksFolder = testHooksFolder
    }

    public func run(_ run: AgentRun, hooks: GraphRunHooks) async throws -> AgentOutcome {
        let stepCount = try Self.integer(run.input["steps"], "steps", default: 5, in: 1...1000)
        let sleepMilliseconds = try Self.integer(run.input["sleep_ms"], "sleep_ms", default: 0, in: 0...3_600_000)
        let askAt = try run.input["ask_at"].map { try Self.integer($0, "ask_at", default: 0, in: 0...999) }
        let payloadBytes = try run.input["payload_bytes"].map {
            try Self.integer($0, "payload_bytes", default: 0, in: 0...Self.maximumPayloadBytes)
        }
        let executionLog = try hookPath(run.input["exec_log"], "exec_log")
        let holdAt = try run.input["hold_at"].map { try Self.integer($0, "hold_at", default: 0, in: 0...999) }
        let holdFile = try hookPath(run.input["hold_file"], "hold_file")
        guard (holdAt == nil) == (holdFile == nil) else {
            throw AgentInputError("'hold_at' and 'hold_file' go together: give both or neither")
        }
        var graph = StateGraph<State>()
        var previous = StateGraph<State>.start
        for index in 0..<stepCount {
            let node = "step_\(index)"
            graph.addNode(node) { state, context in
                // Logged as the node starts, so a run cut short by a crash counts too.
                if let executionLog {
                    Self.append("\(run.workflowId) \(context.node) \(context.attempt)\n", to: executionLog)
                }
                if index == holdAt, let holdFile {
                    while !FileManager.default.fileExists(atPath: holdFile) {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
                if sleepMilliseconds > 0 { try await Task.sleep(for: .milliseconds(sleepMilliseconds)) }
                if index == askAt {
                    _ = try await context.interrupt(
                        InterruptRequest(
                            title: "Continue?", question: "Step \(index) waits for a go-ahead.",
                            choices: [.init(id: "go", label: "Go on")]))
                }
                var state = state
                state.steps.append(
                    StepRecord(
                        node: context.node, attempt: context.attempt,
                        payload: payloadBytes.map { Self.payload(bytes: $0, step: index) }))
                return state
            }
            graph.addEdge(from: previous, to: node)
            previous = node
        }
        graph.addEdge(from: previous, to: StateGraph<State>.end)
        return try await graph.compile(stepLimit: stepCount).run(run, input: State(), hooks: hooks)
    }

    /// An integer field of the input: absent gives `fallback`; anything but a whole
    /// number in `range` is an input error (never a trap, whatever the number).
    static func integer(
        _ value: JSONValue?, _ field: String, default fallback: Int, in range: ClosedRange<Int>
    )
        throws -> Int
    {
        guard let value else { return fallback }
        guard let number = value.numberValue, let integer = Int(exactly: number), range.contains(integer) else {
            throw AgentInputError(
                "'\(field)' must be a whole number between \(range.lowerBound) and \(range.upperBound)")
        }
        return integer
    }

    /// `bytes` letters and digits drawn from a generator seeded by the step.
    static func payload(bytes: Int, step: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var state = UInt64(step) &+ 0x5EED
        var text: [UInt8] = []
        text.reserveCapacity(bytes)
        while text.count < bytes {
            // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            for shift in stride(from: 0, to: 60, by: 6) where text.count < bytes {
                text.append(alphabet[Int((z >> UInt64(shift)) & 63)])
            }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A test hook file's path inside the hooks folder, nil without `field`.
    private func hookPath(_ value: JSONValue?, _ field: String) throws -> String? {
        guard let value else { return nil }
        guard let folder = testHooksFolder else {
            throw AgentInputError(
                "'\(field)' is a test hook, and this worker does not enable test hooks (test_hooks_folder in its configuration)"
            )
        }
        guard let name = value.stringValue, Identifiers.isValidAgentName(name), !name.contains("..") else {
            throw AgentInputError(
                "'\(field)' must be a plain file name (letters, digits, '-', '_', '.'), inside the worker's test_hooks_folder"
            )
        }
        return (folder as NSString).appendingPathComponent(name)
    }

    private static func append(_ line: String, to path: String) {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = line.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
    }
}
