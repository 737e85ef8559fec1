import BatonAgents
import BatonContracts
import BatonLLM
import BatonScriptedLLM
import ChildProcesses
import Foundation
import Testing

/// The operations agent on a real `baton-worker` process that is SIGKILLed while two
/// analysis branches wait for the model: the replacement resumes from the last
/// checkpoint and asks the model again only what was not answered and stored.
@Suite struct OperationsAgentCrashTests {
    static let rules: [LLMScript.Rule] = [
        .init(
            match: "GATHER:", lastRole: "user",
            reply: .init(toolCalls: [
                .init(name: "get_kpis", arguments: ["area": "logistics"]),
                .init(name: "get_kpis", arguments: ["area": "support"]),
            ])),
        .init(match: "GATHER:", lastRole: "tool", reply: .init(content: "Gathered.")),
        .init(match: "ANALYSE", delayMs: 1500, reply: .init(content: "Carriers are late.")),
        .init(match: "DRAFT:", reply: .init(content: "Deliveries are late because of carriers.")),
    ]

    @Test func aKilledWorkersStoredModelAnswersAreNotAskedForAgain() async throws {
        let binary = SchedulerCrashTests.root.appendingPathComponent(".build/debug/baton-worker")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build it with 'swift build'")
        try await ScriptedLLM.withServer(Self.rules) { llmURL, llm in
            try await Stack.run(workers: 0) { stack in
                let config = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "baton-worker-\(UUID().uuidString).yaml")
                try """
                broker_url: \(TestServices.brokerURL)
                queue: \(stack.queue)
                events_queue: \(stack.eventsQueue)
                agents: [operations_analysis]
                providers:
                  default:
                    base_url: \(llmURL)
                    model: scripted
                metrics_port: 0
                log_level: error
                """.write(to: config, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(at: config) }
                let process = try await ChildProcess.start(
                    binary.path, arguments: ["--config", config.path],
                    output: .handed(output: .discarded, errors: .inherited))

                let id = try await stack.submit(
                    SubmitWorkflowRequest(
                        agent: "operations_analysis",
                        input: ["request": "Why are deliveries late?", "areas": ["logistics", "support"]])
                ).view.id
                // Both analysis branches have asked the model (1.5 s to answer): kill now.
                let end = ContinuousClock.now + .seconds(60)
                while await llm.ruleUses[2] < 2, ContinuousClock.now < end {
                    try await Task.sleep(for: .milliseconds(20))
                }
                await process.kill()
                #expect(await llm.ruleUses[0...1] == [1, 1])  // gather: asked once, answered and stored

                let model = ChatCompletionClient(provider: LLMProvider(baseURL: llmURL, model: "scripted"))
                let view = try await WorkerLifecycleTests.finish(
                    id, on: stack,
                    agents: [OperationsAnalysisAgent(resources: AgentResources(models: ["default": model]))])
                #expect(view.status == .completed)
                #expect(view.attempt == 2)
                #expect(view.result?["report"]?["summary"] == "Deliveries are late because of carriers.")
                // The stored gather answers were not asked for again; the two analyses
                // in flight when the worker died were (their answers died with it).
                #expect(await llm.ruleUses == [1, 1, 4, 1])
                // Usage counts the answers the workflow used: 2 + 2 + 1.
                #expect(view.usage?.total.calls == 5)
            }
        }
    }
}
