import BatonContracts
import Foundation
import Testing

@Suite struct WorkerEventTests {
    static let kinds: [WorkerEvent.Kind] = [
        .started,
        .heartbeat(nil),
        .heartbeat(ActivityProgress(node: "step_1", step: 1, phase: "gather", percent: 20, label: "reading")),
        .checkpointed(Checkpoint(step: 1, nextNodes: ["step_1"], state: ["steps": [["node": "step_0"]]])),
        .progress(ActivityProgress(step: 2)),
        .interrupted(InterruptRequest(title: "Review", question: "approve?", metadata: ["k": 1])),
        .completed(output: ["ok": true]),
        // An agent may end with any JSON value, null included (a null was read as missing).
        .completed(output: .null),
        .completed(output: "text"),
        .failed(ActivityFailure(kind: "agent_error", message: "boom", retryable: true)),
        .redelivered(),
        .redelivered(connectionAgeSeconds: 7.5),
        .heartbeat(nil, reconnected: true),
        .handedBack,
    ]

    @Test(arguments: kinds) func roundTripsEveryKind(kind: WorkerEvent.Kind) throws {
        let event = WorkerEvent(workflowId: "wf", attempt: 1, workerId: "w1", kind: kind)
        #expect(try WorkerEvent.decode(event.encoded()) == event)
    }

    @Test func rejectsAnUnknownVersion() {
        let body = Data(#"{"version": 2, "type": "started"}"#.utf8)
        #expect(throws: ContractError.unsupportedVersion(found: 2, supported: [1])) {
            try WorkerEvent.decode(body)
        }
    }

    @Test func rejectsACheckpointEventWithoutItsCheckpoint() {
        let event = WorkerEvent(workflowId: "wf", attempt: 1, workerId: "w1", kind: .started)
        var object = try! JSONDecoder().decode([String: JSONValue].self, from: event.encoded())
        object["type"] = "checkpointed"
        let body = try! JSONEncoder().encode(object)
        #expect(throws: ContractError.malformed("a 'checkpointed' event needs the field 'checkpoint'")) {
            try WorkerEvent.decode(body)
        }
    }

    /// Events from workers that predate the redelivery stamp and the reconnection flag
    /// still decode: a redelivery without its receiver's connection age, a plain heartbeat.
    @Test func eventsWithoutTheNewerFieldsStillDecode() throws {
        let redelivered = Data(
            #"{"version": 1, "type": "redelivered", "eventId": "6F0C3A52-8E0D-4B64-A0A5-2D5F6A4B1C11", "workflowId": "wf", "attempt": 1, "workerId": "w2"}"#
                .utf8)
        #expect(try WorkerEvent.decode(redelivered).kind == .redelivered(connectionAgeSeconds: nil))
        let heartbeat = Data(
            #"{"version": 1, "type": "heartbeat", "eventId": "6F0C3A52-8E0D-4B64-A0A5-2D5F6A4B1C12", "workflowId": "wf", "attempt": 1, "workerId": "w1"}"#
                .utf8)
        #expect(try WorkerEvent.decode(heartbeat).kind == .heartbeat(nil, reconnected: false))
        // And a plain heartbeat is sent as before, without the flag.
        let plain = WorkerEvent(workflowId: "wf", attempt: 1, workerId: "w1", kind: .heartbeat(nil))
        #expect(!String(decoding: plain.encoded(), as: UTF8.self).contains("reconnected"))
    }

    @Test func rejectsANegativeConnectionAge() {
        let event = WorkerEvent(
            workflowId: "wf", attempt: 1, workerId: "w2", kind: .redelivered(connectionAgeSeconds: -1))
        #expect(throws: ContractError.malformed("connectionAgeSeconds must be a number of seconds, 0 or more")) {
            try WorkerEvent.decode(event.encoded())
        }
    }

    @Test func rejectsAttemptZero() {
        let event = WorkerEvent(workflowId: "wf", attempt: 0, workerId: "w1", kind: .started)
        #expect(throws: ContractError.malformed("attempt must be 1 or more, got 0")) {
            try WorkerEvent.decode(event.encoded())
        }
    }
}

/// Issue #10: usage counts come from outside; totals saturate instead of trapping.
@Suite struct TokenUsageTests {
    @Test func sumsSaturate() {
        let huge = TokenUsage(promptTokens: .max, completionTokens: .max, cost: 1, calls: .max)
        let summary = UsageSummary(byNode: ["a": huge, "b": huge])
        #expect(summary.total.promptTokens == .max)
        #expect(summary.total.calls == .max)
    }
}

@Suite struct WorkerStatusTests {
    @Test func roundTripsAndSharesTheEventsQueue() throws {
        let status = WorkerStatus(workerId: "w-1", agents: ["chain"], concurrency: 4)
        #expect(try EventsQueueMessage.decode(status.encoded()) == .workerStatus(status))
        let event = WorkerEvent(workflowId: "wf", attempt: 1, workerId: "w-1", kind: .started)
        #expect(try EventsQueueMessage.decode(event.encoded()) == .event(event))
    }

    @Test func refusesBadAgentNames() {
        let status = WorkerStatus(workerId: "w-1", agents: ["bad name\n"], concurrency: 4)
        #expect(throws: ContractError.self) { try EventsQueueMessage.decode(status.encoded()) }
    }
}
