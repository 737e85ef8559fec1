import BatonContracts
import BatonFuzzMutations
import Foundation
import Testing

/// Seeded fuzzing of the AMQP decoders (CI's share; `make fuzz` runs libFuzzer on the
/// same property): every input either decodes, and then re-encodes to an equal
/// message, or fails with a `ContractError` whose text is a usable dead-letter reason
/// that never repeats the message's lease token.
@Suite struct MessageFuzzTests {
    static let seeds: [UInt64] = [7, 11, 0xDEAD, 20_261_201, 9_999_991]
    static let inputsPerSeed = 500
    static let secret = "secret-lease-5f0c2a9e71b4d836"

    static let checkpoint = Checkpoint(
        step: 4, nextNodes: ["report"], state: ["facts": ["a", "b"]], sendInputs: ["t1": 1],
        pendingWrites: ["t2": ["x": 1]], journal: ["t1": ["call-1": "answer"]],
        children: ["sub": Checkpoint(step: 1, nextNodes: [], state: nil)],
        interrupt: PendingInterrupt(
            task: "t1", key: "k",
            request: InterruptRequest(title: "t", question: "q?", choices: [.init(id: "a", label: "A")])),
        usage: ["n": TokenUsage(promptTokens: 3, completionTokens: 4, cost: 0.5, calls: 1)], parentStep: 3)

    /// A checkpoint whose state travels as a delta on checkpoint 4.
    static let deltaCheckpoint = Checkpoint(
        step: 5, nextNodes: ["report"], state: nil, journal: ["t1": ["call-1": "answer"]],
        stateDelta: StateDelta([
            .append(field: "facts", items: ["c", ["n": 1]]), .set(field: "draft", value: nil),
            .remove(field: "old"), .replace(["facts": []]),
        ]), baseStep: 4)

    static let kinds: [WorkerEvent.Kind] = [
        .checkpointed(deltaCheckpoint),
        .started, .heartbeat(nil),
        .heartbeat(ActivityProgress(node: "n", step: 2, phase: "p", percent: 50, label: "l")),
        .checkpointed(checkpoint), .progress(ActivityProgress(step: 1)),
        .interrupted(InterruptRequest(title: "t", question: "ok?", choices: [.init(id: "a", label: "A")])),
        .completed(output: ["report": "done", "n": 1.5]),
        .failed(ActivityFailure(kind: "agent_error", message: "boom", retryable: true)), .redelivered(),
        .redelivered(connectionAgeSeconds: 12.25), .heartbeat(nil, reconnected: true), .handedBack,
    ]
    static let events = kinds.map {
        WorkerEvent(workflowId: "wf-1", attempt: 2, workerId: "worker-a", leaseToken: secret, kind: $0)
    }

    static let commands: [WorkerCommand] = [
        .runActivity(
            RunActivity(
                workflowId: "wf-1", attempt: 3, agent: "chain", input: ["steps": 2], checkpoint: checkpoint,
                humanInput: ["choice": "a"], heartbeatIntervalSeconds: 2.5, caller: "ops", leaseToken: secret,
                acceptsStateDeltas: true)),
        .runActivity(
            RunActivity(
                workflowId: "wf-2", attempt: 1, agent: "ops.analysis", input: nil, checkpoint: nil,
                heartbeatIntervalSeconds: 5)),
        .cancelActivity(CancelActivity(workflowId: "wf-1", attempt: 3)),
    ]

    static func samples() throws -> [JSONValue] {
        try (events.map { $0.encoded() } + commands.map { $0.encoded() }).map {
            try JSONValue.parse($0, limits: .message)
        }
    }

    static func checkReason(_ error: ContractError, _ what: String) {
        #expect(!error.description.isEmpty, "\(what)")
        #expect(!error.description.contains(secret), "\(what): the reason repeats the lease token: \(error)")
    }

    static func check(_ data: Data, _ what: String) {
        do throws(ContractError) {
            let event = try WorkerEvent.decode(data)
            #expect(try WorkerEvent.decode(event.encoded()) == event, "\(what)")
        } catch {
            checkReason(error, what)
        }
        do throws(ContractError) {
            let command = try WorkerCommand.decode(data)
            #expect(try WorkerCommand.decode(command.encoded()) == command, "\(what)")
        } catch {
            checkReason(error, what)
        }
    }

    @Test func everyValidMessageRoundTrips() throws {
        for event in Self.events { #expect(try WorkerEvent.decode(event.encoded()) == event) }
        for command in Self.commands { #expect(try WorkerCommand.decode(command.encoded()) == command) }
    }

    @Test(arguments: seeds) func mutatedMessagesDecodeEqualOrFailWithAReason(seed: UInt64) throws {
        var random = SeededMutations(seed: seed)
        let samples = try Self.samples()
        var decoded = 0
        for index in 0..<Self.inputsPerSeed {
            let data = random.below(10) == 0 ? random.randomBytes() : random.mutate(random.element(of: samples))
            Self.check(data, "seed \(seed) input \(index) (\(String(decoding: data.prefix(300), as: UTF8.self)))")
            if (try? WorkerEvent.decode(data)) != nil || (try? WorkerCommand.decode(data)) != nil { decoded += 1 }
        }
        // The mutations must reach past the JSON reader: some inputs still decode, most do not.
        #expect(decoded > 0)
        #expect(decoded < Self.inputsPerSeed)
    }

    /// Messages at the size limit are refused before parsing, with the sizes in the reason.
    @Test func anOversizedMessageIsRefusedBySize() {
        let huge = Data(count: ContractVersion.maximumMessageBytes + 1)
        #expect(throws: ContractError.tooLarge(bytes: huge.count, limit: ContractVersion.maximumMessageBytes)) {
            try WorkerEvent.decode(huge)
        }
    }
}
