import BatonAMQP
import BatonAgents
import BatonContracts
import BatonGraph
import BatonLLM
import BatonSchedulerClient
import BatonScriptedLLM
import Foundation
import ServiceLifecycle
import Synchronization
import Testing

/// Issue #13: the text of a running model call reaches the workflow's stream as it is
/// generated (`text` events), from the worker over the broker and the scheduler,
/// without being stored; after a worker dies mid-answer, the stream shows the resumed
/// attempt's text.
@Suite struct ModelTextStreamTests {
    static let answer = (1...12).map { "word\($0)" }.joined(separator: " ")

    struct Written: GraphState {
        var text = ""
        static let reducers: [String: Reducer] = [:]
    }

    /// write (one streamed model call) → END.
    struct WriterAgent: Agent {
        let name = "writer-test"
        let model: ModelGateway

        func run(_ run: AgentRun, hooks: GraphRunHooks) async throws -> AgentOutcome {
            var graph = StateGraph<Written>()
            graph.addNode("write") { state, context in
                let response = try await context.complete(ChatRequest(messages: [.user("write it")]), using: model)
                var state = state
                state.text = response.text ?? ""
                return state
            }
            graph.addEdge(from: StateGraph<Written>.start, to: "write")
            graph.addEdge(from: "write", to: StateGraph<Written>.end)
            return try await graph.compile().run(run, input: Written(), hooks: hooks)
        }
    }

    static func writer(_ url: String) -> WriterAgent {
        WriterAgent(
            model: ModelGateway(
                name: "default", configuration: ProviderConfiguration(baseURL: url, model: "scripted", maxRetries: 0),
                environment: [:]))
    }

    /// The stream's text events and the workflow as it ended.
    static func watch(
        _ id: String, on stack: Stack, onText: @Sendable (TextDelta) async -> Void = { _ in }
    )
        async throws -> (texts: [TextDelta], end: WorkflowView?)
    {
        var texts: [TextDelta] = []
        for try await event in try await stack.client().events(of: id) {
            switch event {
            case .text(let delta):
                texts.append(delta)
                await onText(delta)
            case .end(let view): return (texts, view)
            case .workflow, .history: break
            }
        }
        return (texts, nil)
    }

    @Test func aModelCallsTextArrivesLiveAndIsNotStored() async throws {
        try await ScriptedLLM.withServer([
            .init(match: "write", reply: .init(content: Self.answer), eventIntervalMs: 100)
        ]) { url, _ in
            try await Stack.run(agents: [Self.writer(url)]) { stack in
                let id = try await stack.submit(SubmitWorkflowRequest(agent: "writer-test")).view.id
                let (texts, end) = try await Self.watch(id, on: stack)
                #expect(end?.status == .completed)
                #expect(end?.result?["text"]?.stringValue == Self.answer)
                // The text came while the answer was being written, not in one piece at the end.
                #expect(texts.count > 1, "\(texts)")
                #expect(texts.allSatisfy { $0.attempt == 1 && $0.node == "write" && $0.call == "llm#0" })
                #expect(texts.map(\.sequence) == texts.map(\.sequence).sorted())
                // Subscribed as the stream opened, it may miss the first words, never the last ones.
                let shown = texts.map(\.text).joined()
                #expect(Self.answer.hasSuffix(shown) && !shown.isEmpty, "\(shown)")
                // Only the step's checkpoint and the outcome hold the answer: no entry holds its pieces.
                let stored = try await stack.query(
                    "SELECT type FROM workflow_events WHERE workflow_id = \(id) AND payload::text LIKE '%word7%' ORDER BY seq"
                )
                #expect(stored.all.compactMap { $0["type"] }.allSatisfy { ["checkpointed", "completed"].contains($0) })
            }
        }
    }

    /// `baton watch --text` prints the answer as it is written, under a line naming the call.
    @Test func watchWithTextPrintsTheAnswerAsItIsWritten() async throws {
        try await ScriptedLLM.withServer([
            .init(match: "write", delayMs: 1_000, reply: .init(content: Self.answer), eventIntervalMs: 100)
        ]) { url, _ in
            try await Stack.run(agents: [Self.writer(url)]) { stack in
                let id = try await stack.submit(SubmitWorkflowRequest(agent: "writer-test")).view.id
                let watch = try await CLITests.Run(
                    ["watch", "--text", id], scheduler: stack.baseURL, key: TestServices.keys["admin"]!.text)
                #expect(try await watch.status() == 0, "\(watch.complained)")
                #expect(watch.printed.contains("[write llm#0, attempt 1]\n"), "\(watch.printed)")
                // The text lines, between the status lines and the call's name.
                let text = watch.printed.split(separator: "\n").filter {
                    $0.drop(while: { $0 == " " }).hasPrefix("word")
                }.joined()
                #expect(text == Self.answer, "\(watch.printed)")
            }
        }
    }

    @Test func afterAWorkerDiesMidAnswerTheStreamShowsTheResumedAttemptsText() async throws {
        try await ScriptedLLM.withServer([
            .init(match: "write", reply: .init(content: Self.answer), eventIntervalMs: 150)
        ]) { url, _ in
            try await Stack.run(workers: 0) { stack in
                let agent = Self.writer(url)
                let options = WorkflowOptions(heartbeatIntervalSeconds: 0.5, heartbeatTimeoutSeconds: 3)
                let id = try await stack.submit(SubmitWorkflowRequest(agent: "writer-test", options: options)).view.id
                let doomed = Task {
                    try await WorkerLifecycleTests.workerGroup(stack, agents: [agent]).run()
                }
                let firstText = AsyncStream.makeStream(of: Void.self)
                let watching = Task {
                    try await Self.watch(id, on: stack) { _ in firstText.continuation.yield() }
                }
                var arrivals = firstText.stream.makeAsyncIterator()
                _ = await arrivals.next()
                doomed.cancel()  // its connections close with the activity unfinished, as in a crash
                _ = try? await doomed.value
                let view = try await WorkerLifecycleTests.finish(id, on: stack, agents: [agent])
                let (texts, end) = try await watching.value
                #expect(view.status == .completed)
                #expect(view.attempt == 2)
                #expect(end?.attempt == 2)
                #expect(texts.first?.attempt == 1)
                let resumed = texts.filter { $0.attempt == 2 }
                #expect(!resumed.isEmpty)
                #expect(resumed.map(\.sequence) == resumed.map(\.sequence).sorted())
                #expect(Self.answer.hasSuffix(resumed.map(\.text).joined()))
            }
        }
    }

    /// A worker that lost its attempt (a zombie behind a partition, one whose attempt
    /// timed out) may go on writing: its text must not be shown beside the current
    /// attempt's, since its answer never reaches the history. Here the workflow is in
    /// attempt 2 (its first worker drained and handed it back) and the test publishes
    /// attempt 1's text to the text exchange as a zombie would, with attempt 2's as
    /// markers: only the markers reach the stream.
    @Test func theTextOfAnAttemptThatNoLongerCountsIsNotShown() async throws {
        try await Stack.run(workers: 0) { stack in
            let chain = HeldChain("fenced-text", steps: 4, holdAt: 1)
            let id = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: chain.input)).view.id
            let first = WorkerLifecycleTests.workerGroup(stack)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await first.run() }
                try await chain.waitUntilHeld()
                await first.triggerGracefulShutdown()
                try chain.release()  // step 1's checkpoint hands the activity back: attempt 2
                try await group.waitForAll()
            }
            // The hand-back is applied by the scheduler after the worker has stopped.
            try await Stack.waitUntil("attempt 2") { try await stack.workflow(id).attempt == 2 }
            let seen = SeenTexts()
            let watching = Task { try await Self.watch(id, on: stack) { seen.add($0.text) } }
            try await Self.publishBesideMarkers(
                id, hidden: TextSource(attempt: 1, text: "zombie"), markers: TextSource(attempt: 2, text: "marker"),
                on: stack, seen: seen)
            let view = try await WorkerLifecycleTests.finish(id, on: stack)
            let (texts, end) = try await watching.value
            #expect(view.status == .completed)
            #expect(end?.status == .completed)
            #expect(texts.contains { $0.text == "last" })
            #expect(texts.allSatisfy { $0.attempt == 2 }, "\(texts.map { "\($0.attempt) \($0.text)" })")
        }
    }

    /// Issue #13: a second copy of the running attempt's command (the outbox sent it
    /// again; the copy runs until it is stopped) writes text for the same attempt, which
    /// the attempt filter let through beside the holder's. Here the test publishes, as
    /// the copy would, text of the current attempt from another worker id, with the
    /// holder's own as markers: only the markers reach the stream.
    @Test func theTextOfASecondCopyOfTheRunningAttemptIsNotShown() async throws {
        try await Stack.run(workers: 0) { stack in
            let chain = HeldChain("copied-text", steps: 3, holdAt: 1)
            let id = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: chain.input)).view.id
            let worker = WorkerLifecycleTests.workerGroup(stack)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await worker.run() }
                try await chain.waitUntilHeld()
                let holder = try #require(
                    try await stack.query(
                        "SELECT machine #>> '{state,running,lease}' AS lease FROM workflows WHERE id = \(id)"
                    ).first?["lease"], "the attempt is running")
                let seen = SeenTexts()
                let watching = Task { try await Self.watch(id, on: stack) { seen.add($0.text) } }
                try await Self.publishBesideMarkers(
                    id, hidden: TextSource(attempt: 1, workerId: "a-copy", text: "copy"),
                    markers: TextSource(attempt: 1, workerId: holder, text: "marker"), on: stack, seen: seen)
                try chain.release()
                let (texts, end) = try await watching.value
                #expect(end?.status == .completed)
                #expect(texts.contains { $0.text == "marker" })
                #expect(!texts.contains { $0.text == "copy" }, "\(texts.map { "\($0.workerId ?? "-") \($0.text)" })")
                await worker.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }

    /// Who a published piece of text says it comes from.
    struct TextSource {
        var attempt: Int
        var workerId: String? = nil
        var text: String
    }

    /// Publishes `hidden` text beside `markers` until a marker reaches the stream (until
    /// then its binding is not in place), then five more hidden pieces and a last marker
    /// ("last"), and waits for that one.
    static func publishBesideMarkers(
        _ id: String, hidden: TextSource, markers: TextSource, on stack: Stack, seen: SeenTexts
    ) async throws {
        let broker = try await TestServices.broker()
        let exchange = Topology.textExchange(for: stack.queue)
        func send(_ source: TextSource, _ text: String, _ sequence: Int) async throws {
            try await publish(
                id, attempt: source.attempt, text: text, sequence: sequence, to: exchange, on: broker,
                workerId: source.workerId)
        }
        var round = 0
        while !seen.contains(markers.text) && round < 150 {
            round += 1
            try await send(hidden, hidden.text, round)
            try await send(markers, markers.text, round)
            try await Task.sleep(for: .milliseconds(200))
        }
        for later in 1...5 { try await send(hidden, hidden.text, round + later) }
        try await send(markers, "last", round + 6)
        try await Stack.waitUntil("the last marker on the stream") { seen.contains("last") }
        await broker.close()
    }

    static func publish(
        _ workflowId: String, attempt: Int, text: String, sequence: Int, to exchange: String, on broker: AMQPConnection,
        workerId: String? = nil
    ) async throws {
        let delta = TextDelta(
            workflowId: workflowId, attempt: attempt, node: "step_2", call: "llm#0", text: text, sequence: sequence,
            workerId: workerId)
        try await broker.publish([
            AMQPMessage(
                routingKey: workflowId, body: delta.encoded(), exchange: exchange, persistent: false, mandatory: false)
        ])
    }
}

/// The texts a stream showed so far, as they come.
final class SeenTexts: Sendable {
    private let texts = Mutex<[String]>([])

    func add(_ text: String) { texts.withLock { $0.append(text) } }
    func contains(_ text: String) -> Bool { texts.withLock { $0.contains(text) } }
}
