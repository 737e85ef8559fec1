import Foundation

/// Text a running model call is generating, for whoever watches the run live
/// (LangGraph's `messages` stream mode).
///
/// Transient by design: a worker publishes it without confirms and never persistent,
/// a scheduler replica passes it to the workflow streams open on it and stores nothing,
/// and a lost piece is not sent again. The whole answer reaches the history with the
/// step's checkpoint; this is only what people see while they wait for it.
public struct TextDelta: Sendable, Hashable, Codable {
    public var workflowId: String
    /// The attempt generating it: a resumed attempt's text replaces the last one's.
    public var attempt: Int
    public var node: String
    /// The call in its node, as the journal names it (`llm#0`, `llm#1`, …).
    public var call: String
    public var text: String
    /// The call began again (a cut stream retried): drop what it showed so far.
    public var restarted: Bool
    /// Counts one attempt's pieces from 1: a gap says that some were lost.
    public var sequence: Int
    /// The worker generating it. Only the attempt's lease holder's text is shown: a
    /// second copy of the same command, running until it is stopped, writes for the same
    /// attempt. Optional (workers before it sent none).
    public var workerId: String?

    public init(
        workflowId: String, attempt: Int, node: String, call: String, text: String, restarted: Bool = false,
        sequence: Int, workerId: String? = nil
    ) {
        self.workerId = workerId
        self.workflowId = workflowId
        self.attempt = attempt
        self.node = node
        self.call = call
        self.text = text
        self.restarted = restarted
        self.sequence = sequence
    }

    enum CodingKeys: String, CodingKey {
        case workflowId = "workflow_id", attempt, node, call, text, restarted, sequence
        case workerId = "worker_id"
    }

    public static let type = "text_delta"

    /// The most text one message carries; a worker sends more as several.
    public static let maximumTextBytes = 64 * 1024

    public func encoded() -> Data { MessageCodec.encode(type: Self.type, body: self) }

    /// Reads a worker's message, whatever it holds: a malformed one is refused, never trusted.
    public static func decode(_ data: Data) throws(ContractError) -> TextDelta {
        let message = try MessageCodec.read(data)
        guard message.type == type else { throw .unknownType(message.type, known: [type]) }
        let delta = try MessageCodec.body(TextDelta.self, of: message)
        guard Identifiers.isValidWorkflowId(delta.workflowId) else {
            throw .malformed("workflow_id: \(Identifiers.workflowIdRule)")
        }
        guard delta.attempt >= 1, delta.sequence >= 1 else {
            throw .malformed("attempt and sequence count from 1")
        }
        guard delta.node.utf8.count <= 256, delta.call.utf8.count <= 256 else {
            throw .malformed("node and call are at most 256 bytes")
        }
        guard delta.text.utf8.count <= maximumTextBytes else {
            throw .malformed("text is at most \(maximumTextBytes) bytes")
        }
        if let workerId = delta.workerId { try WireChecks.check(workerId: workerId) }
        return delta
    }
}
