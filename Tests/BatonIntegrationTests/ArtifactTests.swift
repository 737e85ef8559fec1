import BatonAgents
import BatonContracts
import BatonLLM
import BatonSchedulerClient
import BatonScriptedLLM
import Foundation
import Testing

/// Issue #14: a large report is stored by reference and fetched through the API. The
/// operations agent, on a worker that reaches the scheduler's API, stores its report
/// as `report.md` with the running attempt's delegation token; its result names it.
@Suite struct ArtifactTests {
    @Test func theOperationsAgentsReportIsStoredByReferenceAndFetched() async throws {
        try await ScriptedLLM.withServer(OperationsAgentCrashTests.rules) { llmURL, _ in
            try await Stack.run(workers: 0) { stack in
                let model = ChatCompletionClient(provider: LLMProvider(baseURL: llmURL, model: "scripted"))
                let agent = OperationsAnalysisAgent(
                    resources: AgentResources(
                        models: ["default": model], tasks: SchedulerTaskDelegate(baseURL: stack.baseURL)))
                let id = try await stack.submit(
                    SubmitWorkflowRequest(
                        agent: "operations_analysis",
                        input: ["request": "Why are deliveries late?", "areas": ["logistics", "support"]])
                ).view.id
                let view = try await WorkerLifecycleTests.finish(id, on: stack, agents: [agent])
                #expect(view.status == .completed)
                let markdown = try #require(view.result?["report"]?["markdown"]?.stringValue)
                let reference = try #require(view.result?["reportArtifact"], "\(view.result ?? .null)")
                #expect(reference["name"] == "report.md")
                #expect(reference["contentType"] == "text/markdown")
                #expect(reference["bytes"]?.numberValue == Double(markdown.utf8.count))

                let client = stack.client(as: "bob")  // a reader of the same tenant
                #expect(try await client.artifacts(of: id).map(\.name) == ["report.md"])
                let fetched = try await client.artifact("report.md", of: id)
                #expect(String(decoding: fetched, as: UTF8.self) == markdown)
                // The CLI lists and fetches them.
                let listed = try await CLITests.baton(["artifacts", id], stack, as: "bob")
                #expect(listed.status == 0, "\(listed.errors)")
                #expect(listed.output.hasPrefix("report.md  text/markdown  \(markdown.utf8.count) bytes"))
                let printed = try await CLITests.baton(["artifacts", id, "report.md"], stack, as: "bob")
                #expect(printed.output == markdown)
                let missing = try await CLITests.baton(["artifacts", id, "nothing.md"], stack, as: "bob")
                #expect(missing.status != 0)
                #expect(missing.errors.contains("has no artifact 'nothing.md'"), "\(missing.errors)")
                // Ended: nobody stores more, not even an administrator.
                do {
                    _ = try await stack.client().storeArtifact(
                        Data("late".utf8), name: "late.md", contentType: "text/markdown", of: id)
                    Issue.record("an ended workflow took an artifact")
                } catch let error as SchedulerClientError {
                    #expect(error.status == 409)
                }
            }
        }
    }
}
