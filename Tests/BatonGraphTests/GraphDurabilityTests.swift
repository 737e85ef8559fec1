import BatonContracts
import BatonGraph
import Testing

/// Crashes, interrupts, subgraphs and forks: a resumed run never pays for a step twice.
@Suite struct GraphDurabilityTests {
    /// plan → research (two model calls, then a crash point) → write.
    static func researchGraph(calls: Calls, crashInResearch: Bool) throws -> CompiledGraph<Trail> {
        var graph = StateGraph<Trail>()
        graph.addNode("plan") { state, context in
            calls.record("plan")
            var state = state
            state.visited.append(context.node)
            return state
        }
        graph.addNode("research") { state, context in
            let first = try await context.call("llm") {
                calls.record("llm-1"); return "facts"
            }
            let second = try await context.call("llm") {
                calls.record("llm-2"); return "more facts"
            }
            try await context.recordUsage(TokenUsage(promptTokens: 100, completionTokens: 20, cost: 0.01))
            if crashInResearch { throw Recorder.Crash() }
            var state = state
            state.visited.append("research")
            state.notes["research"] = "\(first), \(second)"
            return state
        }
        graph.addNode("write") { state, _ in
            calls.record("write")
            var state = state
            state.visited.append("write")
            return state
        }
        graph.addEdge(from: StateGraph<Trail>.start, to: "plan")
        graph.addEdge(from: "plan", to: "research")
        graph.addEdge(from: "research", to: "write")
        graph.addEdge(from: "write", to: StateGraph<Trail>.end)
        return try graph.compile()
    }

    @Test func aCrashInsideANodeResumesWithoutRepeatingItsRecordedCalls() async throws {
        let calls = Calls()
        let recorder = Recorder()
        await #expect(throws: Recorder.Crash.self) {
            _ = try await Self.researchGraph(calls: calls, crashInResearch: true).run(
                input: Trail(), hooks: recorder.hooks)
        }
        #expect(calls.all == ["plan", "llm-1", "llm-2"])
        // The last checkpoint holds both journaled results; another worker resumes from it.
        let last = try #require(recorder.all.last)
        #expect(last.journal?["research"]?.count == 2)
        #expect(last.nextNodes == ["research"])

        let resumed = try await Self.researchGraph(calls: calls, crashInResearch: false)
            .run(input: Trail(), resumingFrom: last, attempt: 2)
        #expect(resumed.state?.visited == ["plan", "research", "write"])
        #expect(resumed.state?.notes["research"] == "facts, more facts")
        #expect(calls.count("llm-1") == 1)
        #expect(calls.count("llm-2") == 1)
        #expect(calls.count("plan") == 1)
    }

    @Test func aCrashInTheCheckpointStoreStopsTheRunAndTheLastCheckpointResumesIt() async throws {
        let calls = Calls()
        // The store dies when asked to keep the 2nd checkpoint (the first journaled call).
        let recorder = Recorder(crashAfter: 2)
        await #expect(throws: Recorder.Crash.self) {
            _ = try await Self.researchGraph(calls: calls, crashInResearch: false).run(
                input: Trail(), hooks: recorder.hooks)
        }
        #expect(calls.count("llm-2") == 0)  // the graph did not run ahead of its store
        let resumed = try await Self.researchGraph(calls: calls, crashInResearch: false)
            .run(input: Trail(), resumingFrom: recorder.all[0])
        #expect(resumed.state?.visited == ["plan", "research", "write"])
    }

    @Test func usageTravelsInCheckpoints() async throws {
        let recorder = Recorder()
        _ = try await Self.researchGraph(calls: Calls(), crashInResearch: false).run(
            input: Trail(), hooks: recorder.hooks)
        #expect(
            recorder.all.last?.usage?["research"] == TokenUsage(promptTokens: 100, completionTokens: 20, cost: 0.01))
    }

    /// gather (a call) → approve (a call, then a question) → act.
    static func approvalGraph(calls: Calls) throws -> CompiledGraph<Trail> {
        var graph = StateGraph<Trail>()
        graph.addNode("approve") { state, context in
            let draft = try await context.call("draft") {
                calls.record("draft"); return "plan A"
            }
            let answer = try await context.interrupt(
                InterruptRequest(
                    title: "Approve", question: "Run \(draft)?",
                    choices: [.init(id: "yes", label: "Yes"), .init(id: "no", label: "No")]))
            var state = state
            state.last = answer.choice ?? answer.text ?? ""
            return state
        }
        graph.addEdge(from: StateGraph<Trail>.start, to: "approve")
        graph.addEdge(from: "approve", to: StateGraph<Trail>.end)
        return try graph.compile()
    }

    @Test func anInterruptResumesWithTheAnswerWithoutRepeatingEarlierCalls() async throws {
        let calls = Calls()
        let recorder = Recorder()
        let first = try await Self.approvalGraph(calls: calls).run(input: Trail(), hooks: recorder.hooks)
        let pending = try #require(first.interrupt)
        #expect(pending.request.question == "Run plan A?")
        #expect(pending.task == "approve")
        let stopped = try #require(recorder.all.last)
        #expect(stopped.interrupt == pending)

        // Without an answer it asks again; with one, it goes on.
        let again = try await Self.approvalGraph(calls: calls).run(input: Trail(), resumingFrom: stopped)
        #expect(again.interrupt == pending)
        let answered = try await Self.approvalGraph(calls: calls)
            .run(input: Trail(), resumingFrom: stopped, humanInput: ["choice": "yes"])
        #expect(answered.state?.last == "yes")
        #expect(calls.count("draft") == 1)
    }

    @Test func aSubgraphCheckpointsInsideItsParentAndResumesWhereItStopped() async throws {
        let calls = Calls()
        let inner = try chain(["s1", "s2", "s3"], calls: calls)
        var graph = StateGraph<Trail>()
        graph.addSubgraph("inner", inner)
        graph.addNode("after") { state, _ in
            var state = state
            state.visited.append("after")
            return state
        }
        graph.addEdge(from: StateGraph<Trail>.start, to: "inner")
        graph.addEdge(from: "inner", to: "after")
        graph.addEdge(from: "after", to: StateGraph<Trail>.end)
        let parent = try graph.compile()

        // The store dies after the subgraph's second step.
        let recorder = Recorder(crashAfter: 2)
        await #expect(throws: Recorder.Crash.self) { _ = try await parent.run(input: Trail(), hooks: recorder.hooks) }
        let last = try #require(recorder.all.last)
        #expect(last.children?["inner"]?.state["visited"] == ["s1", "s2"])
        #expect(calls.all == ["s1", "s2"])

        let resumed = try await parent.run(input: Trail(), resumingFrom: last)
        #expect(resumed.state?.visited == ["s1", "s2", "s3", "after"])
        #expect(calls.all == ["s1", "s2", "s3"])
    }

    @Test func forkingFromStepTwoOfFiveMakesANewHistory() async throws {
        let graph = try chain(["n1", "n2", "n3", "n4", "n5"])
        let store = InMemoryCheckpointStore()
        _ = try await graph.run(input: Trail(), hooks: .saving(to: store, thread: "main"))
        let original = try await store.history(thread: "main")
        #expect(original.count == 5)
        let atTwo = try #require(original.first { $0.step == 2 })

        let fork = try graph.fork(from: atTwo) { $0.notes["edited"] = "by a person" }
        let outcome = try await graph.run(input: Trail(), resumingFrom: fork, hooks: .saving(to: store, thread: "fork"))
        let branch = try await store.history(thread: "fork")
        #expect(outcome.state?.visited == ["n1", "n2", "n3", "n4", "n5"])
        #expect(outcome.state?.notes["edited"] == "by a person")
        #expect(branch.first?.parentStep == 2)  // the new history hangs off step 2
        #expect(branch.count == 3)
        #expect(try await store.history(thread: "main") == original)  // the old one is untouched
        #expect(original.last?.state["notes"] == [:])
    }

    @Test func theRunStreamsUpdatesValuesAndCustomEvents() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("a") { state, context in
            await context.emit(["tokens": "hello"])
            var state = state
            state.visited.append("a")
            return state
        }
        graph.addEdge(from: StateGraph<Trail>.start, to: "a")
        graph.addEdge(from: "a", to: StateGraph<Trail>.end)
        let recorder = Recorder()
        _ = try await graph.compile().run(input: Trail(), hooks: recorder.hooks)
        let events = recorder.allEvents
        #expect(events.contains(.taskStarted(task: "a", superstep: 0)))
        #expect(events.contains(.custom(task: "a", payload: ["tokens": "hello"])))
        #expect(events.contains(.update(task: "a", writes: ["visited": ["a"]])))
        #expect(events.contains { if case .values(1, let state) = $0 { state["visited"] == ["a"] } else { false } })
    }

    @Test func theRunIsAnAsyncSequenceOfEvents() async throws {
        var updates: [String] = []
        var finalState: JSONValue?
        for try await event in try chain().stream(input: Trail()) {
            switch event {
            case .update(let task, _): updates.append(task)
            case .values(_, let state): finalState = state
            default: break
            }
        }
        #expect(updates == ["a", "b", "c"])
        #expect(finalState?["visited"] == ["a", "b", "c"])
    }

    @Test func cancellationStopsAtTheNextAwaitAndLeavesAConsistentCheckpoint() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("quick") { state, _ in
            var state = state
            state.visited.append("quick")
            return state
        }
        graph.addNode("slow") { state, _ in
            try await Task.sleep(for: .seconds(60))
            return state
        }
        graph.addEdge(from: StateGraph<Trail>.start, to: "quick")
        graph.addEdge(from: "quick", to: "slow")
        graph.addEdge(from: "slow", to: StateGraph<Trail>.end)
        let compiled = try graph.compile()
        let recorder = Recorder()
        let run = Task { try await compiled.run(input: Trail(), hooks: recorder.hooks) }
        while recorder.all.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        run.cancel()
        await #expect(throws: CancellationError.self) { _ = try await run.value }
        let last = try #require(recorder.all.last)
        #expect(last.nextNodes == ["slow"])
        #expect(last.state["visited"] == ["quick"])
    }
}
