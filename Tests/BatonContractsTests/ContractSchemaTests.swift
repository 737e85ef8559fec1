import BatonContracts
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Issue #14: the JSON Schemas in docs/contracts describe what the Swift encoders write and
/// the Swift decoders read. Every kind of command and event, with its optional fields on and
/// off and at its edges, is encoded by the real encoder and checked by
/// `docs/contracts/validate.py` (one python3 run for the whole batch); every example there
/// decodes with the Swift decoders, and every invalid example is refused by them.
@Suite struct ContractSchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let contracts = root.appendingPathComponent("docs/contracts")
    static let python = "/usr/bin/python3"

    // MARK: Values

    static let token = "3f9c2b7a1e0d4c6b8a5f2e1d0c9b8a7f"
    static let longId = "A" + String(repeating: "b-_.:9", count: 21) + "x"  // 128 characters

    static let inputs: [JSONValue] = [
        .null, [:], ["steps": 5, "sleep_ms": 200], "text", 0, -1, 1.5, 9_007_199_254_740_992, -9_007_199_254_740_992,
        1e300, true, [], [[[["deep"]]]], ["unicode": "Zoë Ölçer → 東京 🚀", "escapes": "quote \" slash \\ tab \t nl \n"],
        ["nested": ["a": [1, 2, ["b": .null]], "c": [:]]],
    ]

    static var usage: [String: TokenUsage] {
        [
            "gather": TokenUsage(promptTokens: 1200, completionTokens: 340, cost: 0.000384, calls: 2),
            "plan": TokenUsage(),
            "big": TokenUsage(promptTokens: 9_007_199_254_740_992, completionTokens: 0, cost: 1e9, calls: 1),
        ]
    }

    static var question: InterruptRequest {
        InterruptRequest(
            title: "Continue?", question: "Step 1 waits for a go-ahead.",
            choices: [.init(id: "go", label: "Go on"), .init(id: "stop", label: "Stop")], allowsFreeText: false,
            metadata: ["evidence": ["a", "b"], "n": 3])
    }

    /// Whole checkpoints: every optional field off, then on, then at its edges.
    static var wholeCheckpoints: [Checkpoint] {
        let child = Checkpoint(
            step: 1, nextNodes: ["check"], state: ["draft": "..."], usage: ["check": TokenUsage(calls: 1)],
            parentStep: 0)
        return [
            Checkpoint(step: 1, nextNodes: ["step_1"], state: ["steps": [["node": "step_0", "attempt": 1]]]),
            Checkpoint(step: 0, superstep: 0, nextNodes: ["step_0"], state: ["steps": []]),
            Checkpoint(step: 7, superstep: 3, nextNodes: [], state: .null, parentStep: 6),
            Checkpoint(step: 3, nextNodes: ["a", "b#0", "b#1"], state: "a state that is not an object"),
            Checkpoint(
                step: 4, superstep: 2, nextNodes: ["gather#0", "gather#1", "review"],
                state: ["question": "Why?", "findings": []],
                sendInputs: ["gather#0": ["system": "billing"], "gather#1": ["system": "crm"]],
                pendingWrites: ["gather#0": ["findings": ["billing: 3 failed runs"]]],
                journal: ["gather#1": ["llm#0": ["content": "fine"], "interrupt#0": .null]],
                children: ["review": child],
                interrupt: PendingInterrupt(task: "review", key: "interrupt#0", request: question),
                usage: usage, parentStep: 3),
            Checkpoint(
                step: 9_007_199_254_740_991, superstep: 9_007_199_254_740_991, nextNodes: [], state: [:],
                sendInputs: [:], pendingWrites: [:], journal: [:], children: [:], usage: [:],
                parentStep: 0),
        ]
    }

    /// Checkpoints as an event may carry them: the whole ones, and deltas of every change.
    static var eventCheckpoints: [Checkpoint] {
        let deltas: [StateDelta] = [
            StateDelta(),
            StateDelta([.append(field: "steps", items: [["node": "step_2", "attempt": 1]])]),
            StateDelta([.set(field: "n", value: 2), .set(field: "cleared", value: .null)]),
            StateDelta([.remove(field: "draft"), .append(field: "log", items: [])]),
            StateDelta([.replace(42)]), StateDelta([.replace(.null)]),
            StateDelta([.remove(field: ""), .set(field: "ü", value: ["x": [1, 2]]), .replace(["a": 1])]),
        ]
        var checkpoints = wholeCheckpoints
        for (index, delta) in deltas.enumerated() {
            checkpoints.append(
                Checkpoint(
                    step: index + 2, nextNodes: ["step_\(index + 2)"], state: .null, usage: index == 1 ? usage : nil,
                    parentStep: index + 1, stateDelta: delta, baseStep: index))
        }
        // What the graph hands the worker, as the worker sends it.
        let whole = Checkpoint(step: 5, nextNodes: ["x"], state: ["steps": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]])
        checkpoints.append(whole.sendingChanges(since: 4, state: ["steps": [1, 2, 3, 4, 5, 6, 7, 8, 9]]))
        return checkpoints
    }

    static var commands: [WorkerCommand] {
        var runs: [RunActivity] = []
        for (index, input) in inputs.enumerated() {
            runs.append(
                RunActivity(
                    workflowId: "wf-\(index)", attempt: 1, agent: "chain", input: input, checkpoint: nil,
                    heartbeatIntervalSeconds: 5))
        }
        for (index, checkpoint) in wholeCheckpoints.enumerated() {
            runs.append(
                RunActivity(
                    workflowId: "resume:\(index)", attempt: index + 2, agent: "operations_analysis",
                    input: ["steps": 5], checkpoint: checkpoint, humanInput: nil, heartbeatIntervalSeconds: 1,
                    caller: "alice@example.com", leaseToken: token, eventsRoutingKey: "slot.\(index * 37 % 256)",
                    acceptsStateDeltas: true, limits: .standard, tenant: index % 2 == 0 ? "default" : nil))
        }
        let outcome = ChildWorkflowOutcome(
            id: "review-1.deep-dive-2ca61c5e", agent: "operations_analysis", status: .completed,
            result: ["report": "..."], usage: UsageSummary(byNode: usage))
        let failedChild = ChildWorkflowOutcome(
            id: "review-1.deep-dive-2ca61c5f", agent: "operations_analysis", status: .failed,
            error: ActivityFailure(kind: "agent_error", message: "boom", retryable: true))
        let answers: [JSONValue?] = [
            nil, .null, "free text", ["choice": "go"], ["choice": "edit", "text": "only logistics"],
            try! JSONValue(encoding: outcome), try! JSONValue(encoding: failedChild),
        ]
        for (index, answer) in answers.enumerated() {
            runs.append(
                RunActivity(
                    workflowId: "answered-\(index)", attempt: 2, agent: "reviewed_analysis", input: ["request": "why?"],
                    checkpoint: Checkpoint(
                        step: 2, superstep: 1, nextNodes: ["step_1"], state: ["steps": []],
                        interrupt: PendingInterrupt(task: "step_1", key: "interrupt#0", request: question)),
                    humanInput: answer, heartbeatIntervalSeconds: 5, caller: "Zoë Ölçer", leaseToken: token,
                    eventsRoutingKey: "slot.7", acceptsStateDeltas: index % 2 == 0 ? true : false))
        }
        // Edges: the longest names and keys, the smallest and largest intervals and limits.
        runs.append(
            RunActivity(
                workflowId: longId, attempt: 9_007_199_254_740_992, agent: longId, input: [:], checkpoint: nil,
                heartbeatIntervalSeconds: 0.000_001, caller: String(repeating: "é", count: 256), leaseToken: "",
                eventsRoutingKey: String(repeating: "k", count: 255), acceptsStateDeltas: false,
                limits: ActivityLimits(maxCheckpointBytes: 1024, maxResultBytes: 8_388_608, maxInterruptBytes: 1024)))
        runs.append(
            RunActivity(
                workflowId: "0", attempt: 1, agent: "a", input: [:], checkpoint: nil, heartbeatIntervalSeconds: 3600,
                eventsRoutingKey: String(repeating: "é", count: 127)))
        return runs.map(WorkerCommand.runActivity) + [
            .cancelActivity(CancelActivity(workflowId: "wf-1", attempt: 1)),
            .cancelActivity(CancelActivity(workflowId: longId, attempt: 3, workerId: "host-a-4711-9f3e2c1d")),
            .cancelActivity(
                CancelActivity(workflowId: "wf-1", attempt: 1, workerId: String(repeating: "w", count: 256))),
            .pauseActivity(PauseActivity(workflowId: "wf-1", attempt: 2, workerId: "py-worker-1")),
            .pauseActivity(PauseActivity(workflowId: "a:b.c_d-e", attempt: 9_007_199_254_740_992, workerId: "ü")),
        ]
    }

    static var eventKinds: [WorkerEvent.Kind] {
        var kinds: [WorkerEvent.Kind] = [
            .started, .handedBack,
            .heartbeat(nil), .heartbeat(nil, reconnected: true),
            .heartbeat(ActivityProgress(node: "step_1", step: 1)),
            .heartbeat(
                ActivityProgress(node: "gather", step: 2, phase: "evidence", percent: 40, label: "billing"),
                reconnected: true),
            .progress(ActivityProgress(step: 0)),
            .progress(ActivityProgress(node: "draft", step: 3, phase: "done", percent: 100, label: "report ready")),
            .progress(ActivityProgress(node: "", step: 9_007_199_254_740_992, phase: "", percent: 0, label: "")),
            .progress(ActivityProgress(step: 1, percent: 33.333_333_333)),
            .interrupted(question),
            .interrupted(InterruptRequest(title: "", question: "", choices: [], allowsFreeText: true)),
            .interrupted(
                InterruptRequest(
                    title: "Waiting for child workflow review-1.x", question: "This workflow continues when…",
                    allowsFreeText: false, childWorkflowId: "review-1.deep-dive-2ca61c5e")),
            .failed(ActivityFailure(kind: "cancelled", message: "the activity was cancelled", retryable: false)),
            .failed(ActivityFailure(kind: "agent_error", message: "boom: \"quoted\"\nsecond line", retryable: true)),
            .redelivered(), .redelivered(connectionAgeSeconds: 0), .redelivered(connectionAgeSeconds: 183.25),
            .redelivered(connectionAgeSeconds: 1e9),
        ]
        kinds += inputs.map { WorkerEvent.Kind.completed(output: $0) }
        kinds += eventCheckpoints.map { WorkerEvent.Kind.checkpointed($0) }
        return kinds
    }

    static var events: [WorkerEvent] {
        eventKinds.enumerated().flatMap { index, kind in
            [
                WorkerEvent(workflowId: "wf-\(index)", attempt: 1, workerId: "py-worker-1", kind: kind),
                WorkerEvent(
                    workflowId: longId, attempt: 9_007_199_254_740_992, workerId: "host-ü-4711-9f3e2c1d",
                    leaseToken: token, kind: kind),
            ]
        }
    }

    static var statuses: [WorkerStatus] {
        let chain = AgentDescriptor(
            name: "chain", summary: "A chain of steps that call no model.",
            inputSchema: [
                "type": "object", "additionalProperties": false,
                "properties": ["steps": ["type": "integer", "minimum": 1, "maximum": 1000, "default": 5]],
            ])
        return [
            WorkerStatus(workerId: "py-worker-1", agents: ["chain"], descriptors: [chain], concurrency: 4),
            WorkerStatus(workerId: "w", agents: [], concurrency: 1, stopping: true),
            WorkerStatus(workerId: "w", agents: [], descriptors: [], concurrency: 1),
            WorkerStatus(
                workerId: String(repeating: "w", count: 256), agents: ["chain", "operations_analysis", longId],
                descriptors: [
                    chain,
                    AgentDescriptor(name: longId, summary: String(repeating: "s", count: 4096), inputSchema: [:]),
                ],
                concurrency: WorkerStatus.maximumConcurrency, stopping: false),
            WorkerStatus(workerId: "w", agents: (0..<1000).map { "agent-\($0)" }, concurrency: 16),
        ]
    }

    static var texts: [TextDelta] {
        [
            TextDelta(
                workflowId: "ops-1", attempt: 1, node: "gather", call: "llm#0", text: "Billing shows", sequence: 1),
            TextDelta(
                workflowId: longId, attempt: 3, node: "", call: "", text: "", restarted: true,
                sequence: 9_007_199_254_740_992),
            TextDelta(
                workflowId: "wf", attempt: 1, node: String(repeating: "n", count: 256),
                call: String(repeating: "c", count: 256),
                text: String(repeating: "x", count: TextDelta.maximumTextBytes), sequence: 2),
            TextDelta(workflowId: "wf", attempt: 1, node: "ü", call: "llm#1", text: "東京 🚀\n\"\\", sequence: 3),
            TextDelta(
                workflowId: "wf", attempt: 2, node: "draft", call: "llm#0", text: "Carriers", sequence: 4,
                workerId: "host-4242-0a1b2c3d"),
        ]
    }

    // MARK: Tests

    @Test func everyEncodedMessageFitsItsSchema() throws {
        var batch: [(label: String, schema: String, data: Data)] = []
        for command in Self.commands {
            let type = try Self.type(of: command.encoded())
            batch.append(("\(command)", type, command.encoded()))
        }
        for event in Self.events { batch.append(("\(event)", event.type, event.encoded())) }
        for status in Self.statuses { batch.append(("\(status)", WorkerStatus.type, status.encoded())) }
        for text in Self.texts { batch.append(("\(text)", TextDelta.type, text.encoded())) }
        // The unions choose by type.
        batch += batch.map { (label: "\($0.label) (any message)", schema: "auto", data: $0.data) }
        #expect(Set(batch.map(\.schema)).isSuperset(of: WorkerCommand.knownTypes + WorkerEvent.knownTypes))
        let results = try Self.validate(batch.map { (schema: $0.schema, data: $0.data) })
        #expect(results.count == batch.count)
        for (entry, problems) in zip(batch, results) where !problems.isEmpty {
            Issue.record(
                "\(entry.schema): \(problems.joined(separator: "; "))\n  \(String(decoding: entry.data, as: UTF8.self).prefix(600))\n  (\(entry.label.prefix(200)))"
            )
        }
    }

    /// Everything the encoders write, the decoders read back as it was: the schemas describe
    /// one format, not two.
    @Test func everyEncodedMessageDecodesAsItWas() throws {
        for command in Self.commands { #expect(try WorkerCommand.decode(command.encoded()) == command) }
        for event in Self.events { #expect(try EventsQueueMessage.decode(event.encoded()) == .event(event)) }
        for status in Self.statuses {
            #expect(try EventsQueueMessage.decode(status.encoded()) == .workerStatus(status))
        }
        for text in Self.texts { #expect(try TextDelta.decode(text.encoded()) == text) }
    }

    /// What the decoders refuse, the schemas refuse too (the same rule, written twice).
    @Test func whatTheDecodersRefuseTheSchemasRefuse() throws {
        var refused: [(schema: String, data: Data)] = []
        func add(_ schema: String, _ data: Data, decodes: (Data) throws -> Void) {
            #expect(throws: (any Error).self, "the decoder accepted \(String(decoding: data, as: UTF8.self))") {
                try decodes(data)
            }
            refused.append((schema, data))
        }
        let decodeCommand: (Data) throws -> Void = { _ = try WorkerCommand.decode($0) }
        let decodeEvent: (Data) throws -> Void = { _ = try EventsQueueMessage.decode($0) }
        let decodeText: (Data) throws -> Void = { _ = try TextDelta.decode($0) }
        func run(_ change: (inout RunActivity) -> Void) -> Data {
            var run = RunActivity(
                workflowId: "wf", attempt: 1, agent: "chain", input: [:], checkpoint: nil, heartbeatIntervalSeconds: 5)
            change(&run)
            return WorkerCommand.runActivity(run).encoded()
        }
        add("run_activity", run { $0.attempt = 0 }, decodes: decodeCommand)
        add("run_activity", run { $0.attempt = -5 }, decodes: decodeCommand)
        add("run_activity", run { $0.workflowId = "" }, decodes: decodeCommand)
        add("run_activity", run { $0.workflowId = ".hidden" }, decodes: decodeCommand)
        add("run_activity", run { $0.workflowId = "a/b" }, decodes: decodeCommand)
        add("run_activity", run { $0.workflowId = String(repeating: "a", count: 129) }, decodes: decodeCommand)
        add("run_activity", run { $0.agent = "../chain" }, decodes: decodeCommand)
        add("run_activity", run { $0.agent = "chain\n" }, decodes: decodeCommand)
        add("run_activity", run { $0.heartbeatIntervalSeconds = 0 }, decodes: decodeCommand)
        add("run_activity", run { $0.heartbeatIntervalSeconds = -1 }, decodes: decodeCommand)
        add("run_activity", run { $0.heartbeatIntervalSeconds = .infinity }, decodes: decodeCommand)  // written as null
        add("run_activity", run { $0.eventsRoutingKey = "" }, decodes: decodeCommand)
        add("run_activity", run { $0.eventsRoutingKey = String(repeating: "é", count: 128) }, decodes: decodeCommand)
        add(
            "run_activity",
            run {
                $0.checkpoint = Checkpoint(
                    step: 2, nextNodes: [], state: .null, stateDelta: StateDelta([.replace(1)]), baseStep: 1)
            }, decodes: decodeCommand)
        add(
            "cancel_activity", WorkerCommand.cancelActivity(CancelActivity(workflowId: "wf", attempt: 0)).encoded(),
            decodes: decodeCommand)
        add(
            "pause_activity",
            WorkerCommand.pauseActivity(PauseActivity(workflowId: "", attempt: 1, workerId: "w")).encoded(),
            decodes: decodeCommand)
        func started(_ change: (inout WorkerEvent) -> Void) -> Data {
            var started = WorkerEvent(workflowId: "wf", attempt: 1, workerId: "w", kind: .started)
            change(&started)
            return started.encoded()
        }
        add("started", started { $0.attempt = 0 }, decodes: decodeEvent)
        add("started", started { $0.workflowId = "wf 1" }, decodes: decodeEvent)
        add("started", started { $0.workerId = "" }, decodes: decodeEvent)
        add("started", started { $0.workerId = String(repeating: "w", count: 257) }, decodes: decodeEvent)
        add("started", started { $0.workerId = "w\u{1B}[2J" }, decodes: decodeEvent)
        add("started", started { $0.workerId = "w\u{200B}" }, decodes: decodeEvent)
        add("started", started { $0.workerId = "w\u{2028}" }, decodes: decodeEvent)
        add("redelivered", started { $0.kind = .redelivered(connectionAgeSeconds: -1) }, decodes: decodeEvent)
        for (base, step) in [(2, 2), (3, 2), (-1, 2)] {
            add(
                "checkpointed",
                started {
                    $0.kind = .checkpointed(
                        Checkpoint(step: step, nextNodes: [], state: .null, stateDelta: StateDelta(), baseStep: base))
                }, decodes: decodeEvent)
        }
        add(
            "checkpointed",
            started {
                $0.kind = .checkpointed(
                    Checkpoint(step: 2, nextNodes: [], state: ["a": 1], stateDelta: StateDelta(), baseStep: 1))
            }, decodes: decodeEvent)
        add(
            "checkpointed",
            started { $0.kind = .checkpointed(Checkpoint(step: 2, nextNodes: [], state: [:], baseStep: 1)) },
            decodes: decodeEvent)
        add(
            "checkpointed",
            started {
                $0.kind = .checkpointed(Checkpoint(step: 2, nextNodes: [], state: .null, stateDelta: StateDelta()))
            }, decodes: decodeEvent)
        add(
            "worker_status",
            WorkerStatus(
                workerId: "w", agents: ["chain"],
                descriptors: [AgentDescriptor(name: "other", summary: "", inputSchema: [:])], concurrency: 1
            ).encoded(), decodes: decodeEvent)
        add(
            "worker_status",
            WorkerStatus(
                workerId: "w", agents: ["chain"],
                descriptors: [
                    AgentDescriptor(name: "chain", summary: String(repeating: "s", count: 4097), inputSchema: [:])
                ],
                concurrency: 1
            ).encoded(), decodes: decodeEvent)
        add(
            "worker_status", WorkerStatus(workerId: "w", agents: ["no spaces"], concurrency: 1).encoded(),
            decodes: decodeEvent)
        add(
            "worker_status", WorkerStatus(workerId: "w", agents: (0...1000).map { "a\($0)" }, concurrency: 1).encoded(),
            decodes: decodeEvent)
        add("worker_status", WorkerStatus(workerId: "", agents: [], concurrency: 1).encoded(), decodes: decodeEvent)
        for concurrency in [0, WorkerStatus.maximumConcurrency + 1] {
            add(
                "worker_status", WorkerStatus(workerId: "w", agents: [], concurrency: concurrency).encoded(),
                decodes: decodeEvent)
        }
        let delta = TextDelta(workflowId: "wf", attempt: 1, node: "n", call: "c", text: "t", sequence: 1)
        let changes: [(inout TextDelta) -> Void] = [
            { $0.sequence = 0 }, { $0.attempt = 0 }, { $0.workflowId = "" },
            { $0.node = String(repeating: "é", count: 129) }, { $0.call = String(repeating: "c", count: 257) },
            { $0.text = String(repeating: "x", count: TextDelta.maximumTextBytes + 1) },
        ]
        for change in changes {
            var bad = delta
            change(&bad)
            add("text_delta", bad.encoded(), decodes: decodeText)
        }
        // Hand-written texts: what no encoder writes but a broker may carry.
        // An event's text: its type, the common fields (attempt and workerId overridable), and the rest.
        func event(_ type: String, attempt: String = "1", workerId: String = #""w""#, _ rest: String = "") -> String {
            #"{"version": 1, "type": "\#(type)", "eventId": "6F0C3A52-8E0D-4B64-A0A5-2D5F6A4B1C11", "workflowId": "wf", "#
                + #""attempt": \#(attempt), "workerId": \#(workerId)\#(rest.isEmpty ? "" : ", " + rest)}"#
        }
        let deep = String(repeating: "[", count: 192) + String(repeating: "]", count: 192)
        let handWritten: [(schema: String, text: String)] = [
            ("auto", #"{"version": 2, "type": "started"}"#),
            ("auto", #"{"type": "started"}"#),
            ("auto", #"{"version": "1", "type": "started"}"#),
            ("auto", #"{"version": 1, "type": "finished"}"#),
            ("auto", #"["version", 1]"#),
            ("auto", "not json"),
            (
                "started",
                event("started").replacingOccurrences(of: "6F0C3A52-8E0D-4B64-A0A5-2D5F6A4B1C11", with: "nope")
            ),
            ("started", event("started", attempt: "1.5")),
            ("started", event("started", attempt: "9007199254740993")),
            ("started", event("started", workerId: #""w\u0000""#)),
            ("started", event("started", workerId: #""w\ud800""#)),
            ("completed", event("completed")),
            ("failed", event("failed", #""failure": {"kind": "k", "message": "m"}"#)),
            ("interrupted", event("interrupted", #""request": {"title": "t", "question": "q"}"#)),
            (
                "checkpointed",
                event(
                    "checkpointed",
                    #""checkpoint": {"step": 2, "nextNodes": [], "state": null, "baseStep": 1, "stateDelta": [{"op": "insert"}]}"#
                )
            ),
            (
                "checkpointed",
                event(
                    "checkpointed",
                    #""checkpoint": {"step": 2, "nextNodes": [], "state": null, "baseStep": 1, "stateDelta": [{"op": "append", "field": "f"}]}"#
                )
            ),
            (
                "pause_activity",
                #"{"version": 1, "type": "pause_activity", "workflowId": "wf", "attempt": 1, "workerId": null}"#
            ),
            (
                "worker_status",
                #"{"version": 1, "type": "worker_status", "workerId": "w", "agents": [], "concurrency": 1}"#
            ),
            (
                "run_activity",
                #"{"version": 1, "type": "run_activity", "workflowId": "wf", "attempt": 1, "agent": "chain", "heartbeatIntervalSeconds": 5}"#
            ),
            (
                "run_activity",
                #"{"version": 1, "type": "run_activity", "workflowId": "wf", "attempt": 1, "agent": "chain", "#
                    + #""heartbeatIntervalSeconds": 5, "input": \#(deep)}"#
            ),
        ]
        for (schema, text) in handWritten {
            let decoder: (Data) throws -> Void
            switch schema {
            case "run_activity", "cancel_activity", "pause_activity": decoder = decodeCommand
            case "text_delta": decoder = decodeText
            case "auto":
                // Refused as a command and as an event alike.
                decoder = { data in
                    #expect((try? WorkerCommand.decode(data)) == nil)
                    _ = try EventsQueueMessage.decode(data)
                }
            default: decoder = decodeEvent
            }
            add(schema, Data(text.utf8), decodes: decoder)
        }
        let results = try Self.validate(refused)
        for (entry, problems) in zip(refused, results) where problems.isEmpty {
            Issue.record(
                "the schema \(entry.schema) accepts what the Swift decoder refuses: \(String(decoding: entry.data, as: UTF8.self).prefix(400))"
            )
        }
    }

    /// 192 levels in all is the most a message may nest: the schema's checker and the
    /// decoder agree on the boundary.
    @Test func theDepthLimitIsTheSameOnBothSides() throws {
        let head =
            #"{"version": 1, "type": "run_activity", "workflowId": "wf", "attempt": 1, "agent": "chain", "heartbeatIntervalSeconds": 5, "input": "#
        let deepest = Data((head + String(repeating: "[", count: 191) + String(repeating: "]", count: 191) + "}").utf8)
        #expect(throws: Never.self) { try WorkerCommand.decode(deepest) }
        #expect(try Self.validate([("run_activity", deepest)]) == [[]])
    }

    @Test func everyExampleDecodesWithTheSwiftDecoders() throws {
        let folder = Self.contracts.appendingPathComponent("examples")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
            .sorted()
        #expect(files.count >= 20, "docs/contracts/examples has \(files.count) examples")
        var seen: Set<String> = []
        var reencoded: [(schema: String, data: Data)] = []
        for file in files {
            let schema = String(file.prefix { $0 != "." })
            guard schema != "dead_letter_headers" else { continue }
            let data = try Data(contentsOf: folder.appendingPathComponent(file))
            seen.insert(schema)
            do {
                switch schema {
                case "run_activity", "cancel_activity", "pause_activity":
                    reencoded.append((schema, try WorkerCommand.decode(data).encoded()))
                case "text_delta":
                    reencoded.append((schema, try TextDelta.decode(data).encoded()))
                default:
                    switch try EventsQueueMessage.decode(data) {
                    case .event(let event):
                        #expect(event.type == schema, "\(file)")
                        reencoded.append((schema, event.encoded()))
                    case .workerStatus(let status):
                        #expect(schema == WorkerStatus.type, "\(file)")
                        reencoded.append((schema, status.encoded()))
                    }
                }
            } catch {
                Issue.record("\(file) does not decode: \(error)")
            }
        }
        #expect(
            seen.isSuperset(
                of: WorkerCommand.knownTypes + WorkerEvent.knownTypes + [WorkerStatus.type, TextDelta.type]))
        // What the decoders made of the examples, written again by the encoders, still fits.
        for (entry, problems) in zip(reencoded, try Self.validate(reencoded)) where !problems.isEmpty {
            Issue.record("\(entry.schema) re-encoded: \(problems.joined(separator: "; "))")
        }
    }

    @Test func everyInvalidExampleIsRefusedByTheSwiftDecoders() throws {
        let folder = Self.contracts.appendingPathComponent("examples/invalid")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
            .sorted()
        #expect(!files.isEmpty)
        for file in files {
            let schema = String(file.prefix { $0 != "." })
            let data = try Data(contentsOf: folder.appendingPathComponent(file))
            let accepted: Bool
            switch schema {
            case "run_activity", "cancel_activity", "pause_activity":
                accepted = (try? WorkerCommand.decode(data)) != nil
            case "text_delta": accepted = (try? TextDelta.decode(data)) != nil
            case "message":
                accepted =
                    (try? WorkerCommand.decode(data)) != nil || (try? EventsQueueMessage.decode(data)) != nil
                    || (try? TextDelta.decode(data)) != nil
            default: accepted = (try? EventsQueueMessage.decode(data)) != nil
            }
            #expect(!accepted, "the Swift decoder accepts docs/contracts/examples/invalid/\(file)")
        }
    }

    /// The whole examples check of validate.py (what CI can run without Swift) passes.
    @Test func validateExamplesPasses() throws {
        let (status, output, errors) = try Self.runPython(arguments: ["--examples"], input: Data())
        #expect(status == 0, "validate.py --examples failed:\n\(output)\n\(errors)")
    }

    // MARK: Running validate.py

    static func type(of message: Data) throws -> String {
        try #require(try JSONValue.parse(message, limits: .message)["type"]?.stringValue)
    }

    /// The problems validate.py finds in each message, in order ([] when it fits).
    static func validate(_ messages: [(schema: String, data: Data)]) throws -> [[String]] {
        let lines = messages.map { message in
            JSONValue.object([
                "schema": .string(message.schema), "text": .string(String(decoding: message.data, as: UTF8.self)),
            ]).compactText
        }
        let (_, output, errors) = try runPython(
            arguments: ["--batch", "-"], input: Data((lines.joined(separator: "\n") + "\n").utf8))
        var results: [[String]] = []
        for line in output.split(separator: "\n") {
            let result = try JSONValue.parse(String(line), limits: .message)
            let problems = result["errors"]?.arrayValue?.compactMap(\.stringValue) ?? ["unreadable result: \(line)"]
            results.append(problems)
        }
        try #require(
            results.count == messages.count,
            "validate.py answered \(results.count) lines for \(messages.count):\n\(output)\n\(errors.prefix(2000))")
        return results
    }

    /// Runs `python3 -B docs/contracts/validate.py arguments` with `input` on its standard
    /// input (posix_spawn: this target has no process library); returns its exit status, its
    /// standard output and its standard error.
    static func runPython(arguments: [String], input: Data) throws -> (status: Int32, output: String, errors: String) {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            Issue.record(
                "\(python) is missing: the contract tests run docs/contracts/validate.py (scripts/services.sh install)")
            throw CancellationError()
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("contracts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let inputPath = folder.appendingPathComponent("in").path
        let outputPath = folder.appendingPathComponent("out").path
        let errorPath = folder.appendingPathComponent("err").path
        try input.write(to: URL(fileURLWithPath: inputPath))
        let script = contracts.appendingPathComponent("validate.py").path
        let argv = [python, "-B", script] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnvironment: [UnsafeMutablePointer<CChar>?] = envp.map { strdup($0) } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }
        #if canImport(Glibc)
            var actions = posix_spawn_file_actions_t()
        #else
            var actions: posix_spawn_file_actions_t = nil
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, python, &actions, nil, &cArguments, &cEnvironment)
        guard spawned == 0 else {
            Issue.record("could not start \(python): \(String(cString: strerror(spawned)))")
            throw CancellationError()
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        if !errors.isEmpty && code > 1 {
            Issue.record("validate.py \(arguments.joined(separator: " ")) exited \(code): \(errors.prefix(2000))")
        }
        return (code, output, errors)
    }
}
