/// What a worker tells about one agent it serves (in its `WorkerStatus`): people and
/// programs read it at `GET /v1/agents`, and the scheduler checks a submission's input
/// against `inputSchema` before it accepts the workflow.
public struct AgentDescriptor: Sendable, Hashable, Codable {
    public var name: String
    /// One or two sentences: what the agent does and what it answers with.
    public var summary: String
    /// A JSON Schema of the input (`JSONSchema`).
    public var inputSchema: JSONValue

    public init(name: String, summary: String, inputSchema: JSONValue) {
        self.name = name
        self.summary = summary
        self.inputSchema = inputSchema
    }
}

/// An agent as `GET /v1/agents` shows it: what the live workers serving it report.
public struct AgentView: Sendable, Hashable, Codable {
    public var name: String
    public var summary: String
    /// Nil when the workers serving it are of a version that does not report one.
    public var inputSchema: JSONValue?
    /// How many live workers serve it.
    public var workers: Int

    public init(name: String, summary: String, inputSchema: JSONValue?, workers: Int) {
        self.name = name
        self.summary = summary
        self.inputSchema = inputSchema
        self.workers = workers
    }
}
