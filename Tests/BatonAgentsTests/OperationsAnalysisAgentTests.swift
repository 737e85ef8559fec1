import BatonContracts
import BatonGraph
import BatonLLM
import BatonScriptedLLM
import Testing

@testable import BatonAgents

@Suite struct OperationsAnalysisAgentTests {
    static let input: JSONValue = ["request": "Why are deliveries late?"]

    @Test func plansGathersAnalysesInParallelAndDraftsAReport() async throws {
        try await ScriptedLLM.withServer(OperationsScript.rules) { url, llm in
            let agent = OperationsAnalysisAgent(
                resources: AgentResources(models: ["default": OperationsScript.model(url)]))
            let log = RunLog()
            let outcome = try await agent.run(
                AgentRun(workflowId: "wf-1", attempt: 1, input: Self.input, checkpoint: nil, caller: "alice"),
                hooks: log.hooks())
            guard case .completed(let output) = outcome else {
                Issue.record("expected a report, got \(outcome)")
                return
            }
            let report = try JSONValueCoding.decode(OperationsReport.self, from: output["report"] ?? .null)
            #expect(report.areas.map(\.area).sorted() == ["logistics", "support"])
            #expect(report.requestedBy == "alice")
            #expect(report.summary == "Deliveries are late mainly because of carriers.")
            #expect(report.markdown.contains("| logistics |"))
            #expect(report.markdown.contains("Logistics misses deliveries because carriers are late."))
            // support's incidents were not asked for by the model: fetched directly.
            #expect(output["evidence"]?["support"]?["incidents"]?.arrayValue?.isEmpty == false)
            #expect(await llm.requests == OperationsScript.operationsCalls)
            let phases = log.progress.compactMap(\.phase)
            #expect(phases.first == "plan")
            #expect(phases.last == "done")
            #expect(Set(phases) == ["plan", "gather", "analyse", "draft", "done"])
            #expect(log.progress.filter { $0.phase == "analyse" }.count == 2)
            let usage = try #require(log.checkpoints.last?.usage)
            #expect(Set(usage.keys) == ["plan", "gather", "analyse", "draft"])
            #expect(usage.values.allSatisfy { $0.promptTokens > 0 })
            #expect(UsageSummary(byNode: usage).total.calls == OperationsScript.operationsCalls)
        }
    }

    /// A worker dies right after each checkpoint in turn; the resumed run (another
    /// attempt, from that checkpoint) finishes without asking the model anything twice.
    @Test func aResumeAfterACrashAtAnyCheckpointRepeatsNoStoredModelCall() async throws {
        try await ScriptedLLM.withServer(OperationsScript.rules) { url, llm in
            let agent = OperationsAnalysisAgent(
                resources: AgentResources(models: ["default": OperationsScript.model(url)]))
            let clean = RunLog()
            _ = try await agent.run(
                AgentRun(workflowId: "wf-clean", attempt: 1, input: Self.input, checkpoint: nil), hooks: clean.hooks())
            let checkpointCount = clean.checkpoints.count
            #expect(checkpointCount > 6)
            for crashPoint in 1..<checkpointCount {
                let before = await llm.requests
                let first = RunLog()
                await #expect(throws: SimulatedCrash.self) {
                    _ = try await agent.run(
                        AgentRun(workflowId: "wf-\(crashPoint)", attempt: 1, input: Self.input, checkpoint: nil),
                        hooks: first.hooks(crashAfter: crashPoint))
                }
                let midway = await llm.requests
                let resumed = RunLog()
                let outcome = try await agent.run(
                    AgentRun(
                        workflowId: "wf-\(crashPoint)", attempt: 2, input: Self.input,
                        checkpoint: first.checkpoints.last),
                    hooks: resumed.hooks())
                guard case .completed(let output) = outcome else {
                    Issue.record("crash after checkpoint \(crashPoint): no report")
                    continue
                }
                #expect(output["report"]?["summary"] == "Deliveries are late mainly because of carriers.")
                // Answers stored before the crash come back from the journal; only the
                // rest are asked for again. (A parallel branch's call in flight when
                // another branch's checkpoint crashed had no stored answer: it is asked again.)
                let stored = UsageSummary(byNode: first.checkpoints.last?.usage ?? [:]).total.calls
                let callsAfterResume = await llm.requests - midway
                #expect(
                    callsAfterResume == OperationsScript.operationsCalls - stored,
                    "crash after checkpoint \(crashPoint): \(callsAfterResume) model calls after the resume, \(stored) answers stored"
                )
                #expect(await llm.requests - before <= OperationsScript.operationsCalls + 1)
                // Usage is carried across the crash, not counted twice.
                let total = UsageSummary(byNode: resumed.checkpoints.last?.usage ?? [:]).total
                let cleanTotal = UsageSummary(byNode: clean.checkpoints.last?.usage ?? [:]).total
                #expect(total == cleanTotal)
            }
        }
    }

    @Test func aModelPlanThatMakesNoSenseFallsBackToTheAreasTheRequestNames() {
        let plan = OperationsAnalysisAgent.plan(from: "not json", request: "How are sales and finance doing?")
        #expect(plan.areas == ["sales", "finance"])
        let everything = OperationsAnalysisAgent.plan(from: #"{"areas": ["moon"]}"#, request: "How are we doing?")
        #expect(everything.areas == OperationsData.areas)
    }

    @Test func aMissingRequestIsAnInputErrorAndAMissingProviderIsNamed() async throws {
        let agent = OperationsAnalysisAgent(resources: AgentResources())
        await #expect(throws: AgentInputError.self) {
            _ = try await agent.run(
                AgentRun(workflowId: "wf", attempt: 1, input: [:], checkpoint: nil), hooks: GraphRunHooks())
        }
        do {
            _ = try await agent.run(
                AgentRun(workflowId: "wf", attempt: 1, input: Self.input, checkpoint: nil), hooks: GraphRunHooks())
            Issue.record("ran without a model")
        } catch let error as AgentInputError {
            #expect(error.description.contains("no model provider 'default'"))
        }
    }
}
