import BatonContracts
import Foundation
import Synchronization

/// A running node's handle on the run: journaled calls, interrupts, progress, usage.
public struct NodeContext: Sendable {
    public let node: String
    /// The task key: the node's name, or `name#i` for the i-th `Send` to it in a step.
    public let task: String
    /// Super-steps completed before this one.
    public let superstep: Int
    /// The workflow attempt running the graph (1 for the first run).
    public let attempt: Int
    let recorder: RunRecorder
    let hooks: GraphRunHooks
    private let counters = CallCounters()

    init(node: String, task: String, superstep: Int, attempt: Int, recorder: RunRecorder, hooks: GraphRunHooks) {
        self.node = node
        self.task = task
        self.superstep = superstep
        self.attempt = attempt
        self.recorder = recorder
        self.hooks = hooks
    }

    /// Runs a side effect (a model or tool call) once: its result is journaled in a
    /// checkpoint before `call` returns, and a node re-entered after a crash, a retry or
    /// an interrupt gets the recorded result back without running `body` again.
    ///
    /// Calls are told apart by `name` and by their order among calls of that name in
    /// the node, so make calls of one name one after another, not concurrently.
    ///
    /// `usage` reads the tokens and cost a result spent (a model answer's usage): they
    /// are counted to this node in the same checkpoint as the journal entry, so a
    /// resumed run neither repeats nor double-counts the call.
    public func call<Result: Codable & Sendable>(
        _ name: String, as _: Result.Type = Result.self, usage: ((Result) -> TokenUsage)? = nil,
        _ body: () async throws -> Result
    ) async throws -> Result {
        try await journaled(name, usage: usage) { _ in try await body() }
    }

    /// `call` for a body that generates text as it goes (a model's answer, streamed):
    /// what it sends to its `TextStream` reaches the run's live viewers at once
    /// (`GraphEvent.text`), and only its result is journaled. A replayed call shows nothing.
    public func call<Result: Codable & Sendable>(
        _ name: String, as _: Result.Type = Result.self, usage: ((Result) -> TokenUsage)? = nil,
        streamingText body: (TextStream) async throws -> Result
    ) async throws -> Result {
        try await journaled(name, usage: usage) { key in
            let (hooks, task, node) = (hooks, task, node)
            return try await body(
                TextStream { text, restarted in
                    await hooks.event(.text(task: task, node: node, call: key, text: text, restarted: restarted))
                })
        }
    }

    private func journaled<Result: Codable & Sendable>(
        _ name: String, usage: ((Result) -> TokenUsage)?, _ body: (_ key: String) async throws -> Result
    ) async throws -> Result {
        let key = "\(name)#\(counters.next(name))"
        if let recorded = await recorder.journaled(task: task, key: key) {
            do {
                return try JSONValueCoding.decode(Result.self, from: recorded)
            } catch {
                throw GraphError.checkpointMismatch("the journaled result of '\(key)' is not a \(Result.self)")
            }
        }
        let result = try await body(key)
        let encoded: JSONValue
        do {
            encoded = try JSONValueCoding.encode(result)
        } catch {
            throw GraphError.journalEncoding(call: name, reason: "\(error)")
        }
        try await recorder.journal(task: task, key: key, value: encoded, usage: usage.map { (node, $0(result)) })
        return result
    }

    /// Pauses the graph until a person answers `request`; returns the answer. The
    /// worker is freed meanwhile; when the answer arrives the node runs again from its
    /// start, its journaled calls replay, and this call returns the answer.
    public func interrupt(_ request: InterruptRequest) async throws -> InterruptAnswer {
        InterruptAnswer(json: try await waitForAnswer(request))
    }

    /// `interrupt` with the answer as it arrived: for answers that are not a person's
    /// choice and text, such as a child workflow's outcome.
    public func waitForAnswer(_ request: InterruptRequest) async throws -> JSONValue {
        let key = "interrupt#\(counters.next("interrupt"))"
        if let recorded = await recorder.journaled(task: task, key: key) { return recorded }
        if let answer = await recorder.answer(task: task, key: key) {
            try await recorder.journal(task: task, key: key, value: answer)
            return answer
        }
        throw GraphInterrupt(pending: PendingInterrupt(task: task, key: key, request: request))
    }

    /// Reports progress (phase, percent, label) for this node.
    public func reportProgress(phase: String? = nil, percent: Double? = nil, label: String? = nil) async {
        await hooks.progress(
            ActivityProgress(node: node, step: superstep, phase: phase, percent: percent, label: label))
    }

    /// Adds tokens and cost spent by this node; they travel in the next checkpoint. A node
    /// that runs again (after a crash, a retry or an interrupt) adds them again: for a
    /// call's usage pass `usage:` to `call`, which counts it once, with the journal entry.
    /// Throws `GraphError.usageOverflow` when the node's counts no longer fit an `Int`.
    public func recordUsage(_ usage: TokenUsage) async throws {
        try await recorder.addUsage(node: node, usage)
    }

    /// Streams a custom event.
    public func emit(_ payload: JSONValue) async {
        await hooks.event(.custom(task: task, payload: payload))
    }
}

/// Where a streaming call sends the text it generates, as it generates it.
public struct TextStream: Sendable {
    private let forward: @Sendable (String, Bool) async -> Void

    init(_ forward: @escaping @Sendable (String, Bool) async -> Void) { self.forward = forward }

    /// Shows `text` to the run's live viewers. `restarted`: the call began again, and
    /// what it showed before is void.
    public func send(_ text: String, restarted: Bool = false) async { await forward(text, restarted) }
}

/// Thrown by `ctx.interrupt` to stop the graph; the runtime turns it into an outcome.
struct GraphInterrupt: Error {
    var pending: PendingInterrupt
}

/// Occurrence numbers of calls by name within one task run.
private final class CallCounters: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func next(_ name: String) -> Int {
        counts.withLock { counts in
            defer { counts[name, default: 0] += 1 }
            return counts[name, default: 0]
        }
    }
}

extension InterruptAnswer {
    /// Reads an answer as it arrives from the API: `{"choice", "text"}` or a bare string.
    public init(json: JSONValue) {
        if case .string(let text) = json {
            self.init(text: text)
        } else {
            self.init(choice: json["choice"]?.stringValue, text: json["text"]?.stringValue)
        }
    }

    var json: JSONValue {
        var members: [String: JSONValue] = [:]
        if let choice { members["choice"] = .string(choice) }
        if let text { members["text"] = .string(text) }
        return .object(members)
    }
}
