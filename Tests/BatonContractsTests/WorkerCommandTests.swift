import BatonContracts
import Foundation
import Testing

@Suite struct WorkerCommandTests {
    let command = WorkerCommand.runActivity(
        RunActivity(
            workflowId: "wf-1", attempt: 2, agent: "chain", input: ["steps": 5],
            checkpoint: Checkpoint(step: 3, nextNodes: ["step_3"], state: ["steps": []]), heartbeatIntervalSeconds: 5))

    @Test func roundTripsThroughTheWireFormat() throws {
        #expect(try WorkerCommand.decode(command.encoded()) == command)
    }

    @Test func carriesVersionAndTypeBesideItsFields() throws {
        let object = try JSONDecoder().decode(JSONValue.self, from: command.encoded())
        #expect(object["version"] == 1)
        #expect(object["type"] == "run_activity")
        #expect(object["workflowId"] == "wf-1")
        #expect(object["attempt"] == 2)
    }

    @Test func rejectsAnUnknownVersionNamingIt() throws {
        let body = Data(#"{"version": 99, "type": "run_activity", "workflowId": "x"}"#.utf8)
        #expect(throws: ContractError.unsupportedVersion(found: 99, supported: [1])) {
            try WorkerCommand.decode(body)
        }
        let error = ContractError.unsupportedVersion(found: 99, supported: [1])
        #expect(error.description.contains("version 99"))
    }

    @Test func rejectsAMessageWithoutVersion() {
        #expect(throws: ContractError.missingVersion) {
            try WorkerCommand.decode(Data(#"{"type": "run_activity"}"#.utf8))
        }
    }

    @Test func rejectsAnUnknownType() {
        #expect(throws: ContractError.unknownType("explode", known: WorkerCommand.knownTypes)) {
            try WorkerCommand.decode(Data(#"{"version": 1, "type": "explode"}"#.utf8))
        }
    }

    @Test func rejectsBytesThatAreNotJSON() {
        #expect(throws: ContractError.malformed("not valid JSON: unexpected 'h' (at byte 1)")) {
            try WorkerCommand.decode(Data("this is not json".utf8))
        }
    }

    @Test func namesTheMissingField() {
        let body = Data(#"{"version": 1, "type": "run_activity", "workflowId": "x", "attempt": 1}"#.utf8)
        #expect(throws: ContractError.malformed("missing field 'agent' in the message")) {
            try WorkerCommand.decode(body)
        }
    }

    @Test func refusesOversizedMessages() {
        let body = Data(repeating: UInt8(ascii: " "), count: ContractVersion.maximumMessageBytes + 1)
        #expect(throws: ContractError.tooLarge(bytes: body.count, limit: ContractVersion.maximumMessageBytes)) {
            try WorkerCommand.decode(body)
        }
    }
}

/// Issue #10 (10): a worker must not run a command the scheduler cannot have sent.
@Suite struct WorkerCommandValidationTests {
    func decode(_ fields: String) throws(ContractError) -> WorkerCommand {
        let prefix =
            #"{"version": 1, "type": "run_activity", "agent": "chain", "input": {}, "heartbeatIntervalSeconds": 5, "#
        return try WorkerCommand.decode(Data((prefix + fields).utf8))
    }

    @Test func aNullAnswerTravelsAsAnAnswer() throws {
        let run = RunActivity(
            workflowId: "wf", attempt: 2, agent: "chain", input: [:], checkpoint: nil, humanInput: .null,
            heartbeatIntervalSeconds: 5, leaseToken: "t")
        #expect(try WorkerCommand.decode(WorkerCommand.runActivity(run).encoded()) == .runActivity(run))
    }

    @Test func refusesAttemptZeroAndBadIds() {
        #expect(throws: ContractError.self) { try decode(#""workflowId": "wf", "attempt": 0}"#) }
        #expect(throws: ContractError.self) { try decode(#""workflowId": "../etc", "attempt": 1}"#) }
        #expect(throws: ContractError.self) { try decode(#""workflowId": "a\nb", "attempt": 1}"#) }
        #expect(throws: Never.self) { try decode(#""workflowId": "wf", "attempt": 1}"#) }
    }

    @Test func refusesNestingBeyondTheMessageLimit() {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: ContractError.self) { try decode(#""workflowId": "wf", "attempt": 1, "x": \#(deep)}"#) }
    }
}
