import Foundation

/// An event a worker publishes about one attempt of a workflow.
public struct WorkerEvent: Sendable, Hashable {
    /// Unique per event; a redelivered event keeps its id, which makes applying it idempotent.
    public var eventId: UUID
    public var workflowId: String
    public var attempt: Int
    public var workerId: String
    /// The secret of the attempt, copied from its command: only someone who received
    /// the command can speak for the attempt (see docs/architecture.md, "Fencing").
    public var leaseToken: String?
    public var kind: Kind

    public enum Kind: Sendable, Hashable {
        case started
        /// The activity runs. `reconnected`: sent at once, for each running activity, when
        /// the worker's command connection came back after a loss: the broker requeued
        /// its commands while it lived, so their redelivery says nothing of its death.
        case heartbeat(ActivityProgress?, reconnected: Bool = false)
        case checkpointed(Checkpoint)
        case progress(ActivityProgress)
        case interrupted(InterruptRequest)
        case completed(output: JSONValue)
        case failed(ActivityFailure)
        /// The broker delivered this attempt's command again: the connection of the
        /// worker that held it closed. The receiving worker reports it instead of running
        /// a stale command. `connectionAgeSeconds`: how long the receiving worker's command
        /// connection had been open when the command came back, a lower bound on how long
        /// the broker has been up without a restart (nil from workers that predate it).
        case redelivered(connectionAgeSeconds: Double? = nil)
        /// The worker gave the attempt back on purpose (it is draining) after its last
        /// checkpoint; unlike a lost worker this is no failure of the attempt.
        case handedBack
    }

    public init(
        eventId: UUID = UUID(), workflowId: String, attempt: Int, workerId: String, leaseToken: String? = nil,
        kind: Kind
    ) {
        self.eventId = eventId
        self.leaseToken = leaseToken
        self.workflowId = workflowId
        self.attempt = attempt
        self.workerId = workerId
        self.kind = kind
    }

    /// The kinds' wire names, each spelled here only.
    public enum EventType: String, Sendable, CaseIterable {
        case started, heartbeat, checkpointed, progress, interrupted, completed, failed, redelivered
        case handedBack = "handed_back"
    }

    public static let knownTypes = EventType.allCases.map(\.rawValue)

    /// The wire name of this event's kind.
    public var type: String { kind.eventType.rawValue }
}

extension WorkerEvent.Kind {
    public var eventType: WorkerEvent.EventType {
        switch self {
        case .started: .started
        case .heartbeat: .heartbeat
        case .checkpointed: .checkpointed
        case .progress: .progress
        case .interrupted: .interrupted
        case .completed: .completed
        case .failed: .failed
        case .redelivered: .redelivered
        case .handedBack: .handedBack
        }
    }
}

extension WorkerEvent {
    fileprivate struct Body: Codable {
        var eventId: UUID
        var workflowId: String
        var attempt: Int
        var workerId: String
        var leaseToken: String?
        var progress: ActivityProgress?
        var checkpoint: Checkpoint?
        var request: InterruptRequest?
        var output: JSONValue?
        var failure: ActivityFailure?
        /// Heartbeats: present (true) only on a reconnection report.
        var reconnected: Bool?
        /// `redelivered`: the receiving connection's age.
        var connectionAgeSeconds: Double?
    }

    /// The wire form: `{"version": 1, "type": "checkpointed", "eventId": …, …}`.
    public func encoded() -> Data {
        var body = Body(
            eventId: eventId, workflowId: workflowId, attempt: attempt, workerId: workerId, leaseToken: leaseToken)
        switch kind {
        case .started, .handedBack: break
        case .redelivered(let age): body.connectionAgeSeconds = age
        case .heartbeat(let progress, let reconnected):
            body.progress = progress
            body.reconnected = reconnected ? true : nil
        case .checkpointed(let checkpoint): body.checkpoint = checkpoint
        case .progress(let progress): body.progress = progress
        case .interrupted(let request): body.request = request
        case .completed(let output): body.output = output
        case .failed(let failure): body.failure = failure
        }
        return MessageCodec.encode(type: type, body: body)
    }

    public static func decode(_ data: Data) throws(ContractError) -> WorkerEvent {
        try decode(try MessageCodec.read(data))
    }

    static func decode(_ message: MessageCodec.Message) throws(ContractError) -> WorkerEvent {
        let type = message.type
        guard let eventType = EventType(rawValue: type) else {
            throw .unknownType(type, known: knownTypes + [WorkerStatus.type])
        }
        let body = try MessageCodec.body(Body.self, of: message)
        func require<T>(_ value: T?, _ field: String) throws(ContractError) -> T {
            guard let value else { throw .malformed("a '\(type)' event needs the field '\(field)'") }
            return value
        }
        let kind: Kind
        if let progress = body.progress { try WireChecks.check(progress) }
        if let checkpoint = body.checkpoint { try WireChecks.check(checkpoint) }
        switch eventType {
        case .started: kind = .started
        case .heartbeat: kind = .heartbeat(body.progress, reconnected: body.reconnected ?? false)
        case .checkpointed: kind = .checkpointed(try require(body.checkpoint, "checkpoint"))
        case .progress: kind = .progress(try require(body.progress, "progress"))
        case .interrupted:
            let request = try require(body.request, "request")
            // The scheduler answers it with that child's outcome: it must name a workflow.
            if let child = request.childWorkflowId, !Identifiers.isValidWorkflowId(child) {
                throw .malformed("request.childWorkflowId is not a workflow id (\(Identifiers.workflowIdRule))")
            }
            kind = .interrupted(request)
        case .completed: kind = .completed(output: try require(body.output, "output"))
        case .redelivered:
            if let age = body.connectionAgeSeconds, !(age.isFinite && age >= 0) {
                throw .malformed("connectionAgeSeconds must be a number of seconds, 0 or more")
            }
            kind = .redelivered(connectionAgeSeconds: body.connectionAgeSeconds)
        case .handedBack: kind = .handedBack
        case .failed: kind = .failed(try require(body.failure, "failure"))
        }
        guard body.attempt >= 1 else { throw .malformed("attempt must be 1 or more, got \(body.attempt)") }
        guard Identifiers.isValidWorkflowId(body.workflowId) else {
            throw .malformed("workflowId is not a workflow id (\(Identifiers.workflowIdRule))")
        }
        try WireChecks.check(workerId: body.workerId)
        return WorkerEvent(
            eventId: body.eventId, workflowId: body.workflowId, attempt: body.attempt, workerId: body.workerId,
            leaseToken: body.leaseToken, kind: kind)
    }
}

extension WorkerEvent.Body {
    /// Synthesized decoding reads `"output": null` as no output at all: a completed event
    /// whose result is JSON null would be refused as missing its output.
    fileprivate init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        eventId = try c.decode(UUID.self, forKey: .eventId)
        workflowId = try c.decode(String.self, forKey: .workflowId)
        attempt = try c.decode(Int.self, forKey: .attempt)
        workerId = try c.decode(String.self, forKey: .workerId)
        leaseToken = try c.decodeIfPresent(String.self, forKey: .leaseToken)
        progress = try c.decodeIfPresent(ActivityProgress.self, forKey: .progress)
        checkpoint = try c.decodeIfPresent(Checkpoint.self, forKey: .checkpoint)
        request = try c.decodeIfPresent(InterruptRequest.self, forKey: .request)
        output = c.contains(.output) ? .some(try c.decode(JSONValue.self, forKey: .output)) : .none
        failure = try c.decodeIfPresent(ActivityFailure.self, forKey: .failure)
        reconnected = try c.decodeIfPresent(Bool.self, forKey: .reconnected)
        connectionAgeSeconds = try c.decodeIfPresent(Double.self, forKey: .connectionAgeSeconds)
    }
}
