import Foundation

/// What a worker tells the scheduler about itself, on the events queue: at start,
/// every `interval`, and when it stops. The scheduler uses it to refuse a submission
/// for an agent no live worker serves, instead of accepting it and failing later.
public struct WorkerStatus: Sendable, Hashable, Codable {
    public var workerId: String
    /// The agents this worker serves.
    public var agents: [String]
    /// What each of `agents` is and takes; absent from workers older than this field.
    public var descriptors: [AgentDescriptor]?
    public var concurrency: Int
    /// True in the last report of a worker that is stopping.
    public var stopping: Bool

    /// How often a worker reports; a worker silent for three intervals counts as gone.
    public static let interval: Double = 15

    public init(
        workerId: String, agents: [String], descriptors: [AgentDescriptor]? = nil, concurrency: Int,
        stopping: Bool = false
    ) {
        self.workerId = workerId
        self.agents = agents
        self.descriptors = descriptors
        self.concurrency = concurrency
        self.stopping = stopping
    }

    public static let type = "worker_status"
    /// The most activities a worker may say it runs at once.
    public static let maximumConcurrency = 10_000

    public func encoded() -> Data { MessageCodec.encode(type: Self.type, body: self) }
}

/// A message on the events queue: a worker's event about one attempt, or its status.
public enum EventsQueueMessage: Sendable, Hashable {
    case event(WorkerEvent)
    case workerStatus(WorkerStatus)

    public static func decode(_ data: Data) throws(ContractError) -> EventsQueueMessage {
        let message = try MessageCodec.read(data)
        guard message.type == WorkerStatus.type else { return .event(try WorkerEvent.decode(message)) }
        let status = try MessageCodec.body(WorkerStatus.self, of: message)
        guard !status.workerId.isEmpty, status.workerId.count <= 256,
            !status.workerId.unicodeScalars.contains(where: Identifiers.isControlOrFormat)
        else { throw .malformed("workerId must be 1 to 256 characters without control characters") }
        // Summed into the room the fair dispatch gate shares out.
        guard (1...WorkerStatus.maximumConcurrency).contains(status.concurrency) else {
            throw .malformed("concurrency must be between 1 and \(WorkerStatus.maximumConcurrency)")
        }
        guard status.agents.count <= 1000, status.agents.allSatisfy(Identifiers.isValidAgentName) else {
            throw .malformed("agents must be at most 1000 agent names (\(Identifiers.agentNameRule))")
        }
        if let descriptors = status.descriptors {
            guard descriptors.allSatisfy({ status.agents.contains($0.name) && $0.summary.count <= 4096 }) else {
                throw .malformed(
                    "descriptors must describe only the listed agents, each summary at most 4096 characters")
            }
        }
        return .workerStatus(status)
    }
}
