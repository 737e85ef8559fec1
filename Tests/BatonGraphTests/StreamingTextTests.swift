import BatonContracts
import BatonGraph
import Testing

/// Issue #13: a streaming call's text reaches the run's live viewers as it is
/// generated, and only its result is journaled: a resumed node shows nothing again.
@Suite struct StreamingTextTests {
    /// write: a streamed "model call" of three pieces, then a crash point.
    static func graph(calls: Calls, crash: Bool) throws -> CompiledGraph<Trail> {
        var graph = StateGraph<Trail>()
        graph.addNode("write") { state, context in
            let answer = try await context.call(
                "llm",
                streamingText: { text in
                    calls.record("llm")
                    for piece in ["Dear", " reader", ","] { await text.send(piece) }
                    return "Dear reader,"
                })
            if crash { throw Recorder.Crash() }
            var state = state
            state.last = answer
            return state
        }
        graph.addEdge(from: StateGraph<Trail>.start, to: "write")
        graph.addEdge(from: "write", to: StateGraph<Trail>.end)
        return try graph.compile()
    }

    static func texts(_ events: [GraphEvent]) -> [String] {
        events.compactMap { event in
            guard case .text(let task, let node, let call, let text, let restarted) = event else { return nil }
            return "\(task) \(node) \(call) \(text)\(restarted ? " restarted" : "")"
        }
    }

    @Test func aStreamingCallShowsItsTextAndJournalsOnlyItsResult() async throws {
        let calls = Calls()
        let recorder = Recorder()
        await #expect(throws: Recorder.Crash.self) {
            _ = try await Self.graph(calls: calls, crash: true).run(input: Trail(), hooks: recorder.hooks)
        }
        #expect(
            Self.texts(recorder.allEvents) == [
                "write write llm#0 Dear", "write write llm#0  reader", "write write llm#0 ,",
            ])
        let last = try #require(recorder.all.last)
        #expect(last.journal?["write"]?["llm#0"] == "Dear reader,")

        // Resumed: the journaled answer comes back, and nothing is shown or asked again.
        let resumed = Recorder()
        let outcome = try await Self.graph(calls: calls, crash: false)
            .run(input: Trail(), resumingFrom: last, attempt: 2, hooks: resumed.hooks)
        #expect(outcome.state?.last == "Dear reader,")
        #expect(calls.count("llm") == 1)
        #expect(Self.texts(resumed.allEvents).isEmpty)
    }
}
