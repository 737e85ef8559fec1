import BatonAgents
import BatonAssistant
import BatonContracts
import BatonLLM
import BatonSchedulerClient
import BatonScriptedLLM
import Foundation
import Synchronization
import Testing

/// The example agents on a real scheduler and worker, with the scripted model: a
/// reviewed analysis that asks two questions and delegates a child workflow through
/// the scheduler's API, and the assistant submitting work in its user's name.
@Suite struct AgentAcademyTests {
    static let rules: [LLMScript.Rule] = [
        .init(
            match: "GATHER:", lastRole: "user",
            reply: .init(toolCalls: [.init(name: "get_kpis", arguments: ["area": "logistics"])])),
        .init(match: "GATHER:", lastRole: "tool", reply: .init(content: "Gathered.")),
        .init(match: "SCOPE:", reply: .init(content: "Logistics looks worst.")),
        .init(match: "ANALYSE", reply: .init(content: "Carriers are late.")),
        .init(match: "DRAFT:", reply: .init(content: "Deliveries are late because of carriers.")),
        .init(
            match: "look into", lastRole: "user",
            reply: .init(toolCalls: [
                .init(name: "submit_long_task", arguments: ["request": "Late deliveries", "areas": ["logistics"]])
            ])),
        .init(match: "look into", lastRole: "tool", reply: .init(content: "Started {{tool_result.id}}.")),
    ]

    /// The scheduler's URL is known only once the stack runs; workers are built before.
    final class LateBoundTasks: TaskDelegate {
        private let delegate = Mutex<SchedulerTaskDelegate?>(nil)

        func bind(_ baseURL: String) { delegate.withLock { $0 = SchedulerTaskDelegate(baseURL: baseURL) } }

        private var bound: SchedulerTaskDelegate {
            get throws {
                guard let delegate = delegate.withLock({ $0 }) else { throw CancellationError() }
                return delegate
            }
        }

        func submit(_ task: SubmitWorkflowRequest) async throws -> WorkflowView { try await bound.submit(task) }
        func status(of id: String) async throws -> WorkflowView { try await bound.status(of: id) }
        func storeArtifact(
            _ contents: Data, name: String, contentType: String, of workflowId: String
        ) async throws -> ArtifactView {
            try await bound.storeArtifact(contents, name: name, contentType: contentType, of: workflowId)
        }
    }

    /// Waits until workflow `id` asks the question whose title is `title` (or starts
    /// with it, with `prefix`: a child's id has a part the scheduler draws).
    static func waitForQuestion(
        _ stack: Stack, _ id: String, titled title: String, prefix: Bool = false
    ) async throws -> WorkflowView {
        let end = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < end {
            let view = try await stack.workflow(id)
            if view.status == .awaitingInput, let asked = view.interrupt?["title"]?.stringValue,
                prefix ? asked.hasPrefix(title) : asked == title
            {
                return view
            }
            if view.status.isTerminal { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("workflow \(id) never asked '\(title)'")
        return try await stack.workflow(id)
    }

    @Test func aReviewedAnalysisAsksTwiceAndWaitsForItsChildWorkflowWithoutHoldingAWorker() async throws {
        try await ScriptedLLM.withServer(Self.rules) { llmURL, _ in
            let tasks = LateBoundTasks()
            let gateway = ModelGateway(
                name: "default",
                configuration: ProviderConfiguration(
                    baseURL: llmURL, model: "scripted", costPer1KPromptTokens: 1, costPer1KCompletionTokens: 2),
                environment: [:])
            let resources = AgentResources(models: ["default": gateway], tasks: tasks)
            try await Stack.run(
                // One slot: the parent must free it while its child runs, or this never ends.
                concurrency: 1,
                agents: [OperationsAnalysisAgent(resources: resources), ReviewedAnalysisAgent(resources: resources)]
            ) { stack in
                tasks.bind(stack.baseURL)
                let id = "review-\(UUID().uuidString.prefix(8))"
                _ = try await stack.submit(
                    SubmitWorkflowRequest(
                        id: id, agent: "reviewed_analysis",
                        input: [
                            "request": "Why are deliveries late?", "areas": ["logistics", "support"],
                        ],
                        caller: "alice"), as: "alice")
                let scope = try await Self.waitForQuestion(stack, id, titled: "Validate the analysis scope")
                #expect(scope.caller == "alice")
                #expect(scope.progress?.phase == "validate")
                #expect(
                    try await stack.post("/v1/workflows/\(id)/input", json: #"{"answer": {"choice": "approve"}}"#)
                        .status == 200)

                let review = try await Self.waitForQuestion(
                    stack, id, titled: "Review the findings before the report is drafted")
                #expect(
                    review.interrupt?["question"]?.stringValue?.contains("Deliveries are late because of carriers.")
                        == true)
                let children = try await stack.client().list(
                    status: nil, parent: id, limit: 10)
                let child = try #require(children.first)
                #expect(children.count == 1)
                // Made by the scheduler: the parent's id, the key its agent gave, a random part.
                #expect(child.id.hasPrefix("\(id).deep-dive-"))
                #expect(child.status == .completed)
                #expect(child.caller == "alice")
                #expect(child.parentId == id)
                #expect(child.usage?.total.calls == 4)  // gather 2, analyse 1, draft 1 (areas were given)
                // Only the scheduler answers a wait for a child; here the wait is over.
                let history = try await stack.query(
                    """
                    SELECT count(*) FILTER (WHERE type = 'human_input') AS answers,
                        count(*) FILTER (WHERE type = 'child_ended' AND outcome = 'applied') AS children
                    FROM workflow_events WHERE workflow_id = \(id)
                    """)
                #expect(history.first?["answers"] == "1")  // the scope answer
                #expect(history.first?["children"] == "1")  // the child's outcome

                #expect(
                    try await stack.post("/v1/workflows/\(id)/input", json: #"{"answer": {"choice": "publish"}}"#)
                        .status == 200)
                let done = try await stack.waitUntilFinished(id)
                #expect(done.status == .completed)
                #expect(done.result?["outcome"] == "published")
                #expect(done.result?["report"]?["markdown"]?.stringValue?.contains("## Deep dive: logistics") == true)
                // scope 1, analyse 2, draft 1; priced at 1 and 2 per 1k tokens.
                let usage = try #require(done.usage)
                #expect(usage.total.calls == 4)
                #expect(usage.total.cost > 0)
                #expect(Set(usage.byNode.keys) == ["gather", "analyse", "draft"])
            }
        }
    }

    @Test func theAssistantSubmitsWorkThroughTheSchedulerInItsUsersName() async throws {
        try await ScriptedLLM.withServer(Self.rules) { llmURL, _ in
            let model = ChatCompletionClient(provider: LLMProvider(baseURL: llmURL, model: "scripted"))
            let resources = AgentResources(models: ["default": model])
            try await Stack.run(agents: [OperationsAnalysisAgent(resources: resources)]) { stack in
                let assistant = BusinessAssistant(
                    model: model,
                    tasks: SchedulerTaskDelegate(baseURL: stack.baseURL, credential: TestServices.keys["bob"]!.text),
                    caller: "bob")
                let answer = try await assistant.respond(to: "Please look into our late deliveries")
                let id = try #require(await assistant.submitted.first)
                #expect(answer == "Started \(id).")
                let done = try await stack.waitUntilFinished(id)
                #expect(done.status == .completed)
                #expect(done.caller == "bob")
                #expect(done.result?["report"]?["requestedBy"] == "bob")  // the caller reached the agent
            }
        }
    }

    /// A model error the provider will repeat (a 400) fails the workflow at once, with
    /// the provider's words; a retryable one (500s beyond the client's retries) lets
    /// the workflow's retry policy run the activity again.
    @Test func modelErrorsReachTheWorkflowAsRetryableOrNot() async throws {
        let rules: [LLMScript.Rule] =
            [
                .init(match: "bad request", status: 400),
                .init(match: "flaky", times: 2, status: 500),
                .init(match: "PLAN:", reply: .init(content: #"{"areas": ["sales"]}"#)),
            ] + Self.rules
        try await ScriptedLLM.withServer(rules) { llmURL, llm in
            // No client retries: the first 500 fails the attempt.
            let model = ChatCompletionClient(provider: LLMProvider(baseURL: llmURL, model: "scripted", maxRetries: 0))
            let resources = AgentResources(models: ["default": model])
            try await Stack.run(agents: [OperationsAnalysisAgent(resources: resources)]) { stack in
                let bad = try await stack.submit(
                    SubmitWorkflowRequest(agent: "operations_analysis", input: ["request": "a bad request"])
                ).view.id
                let failed = try await stack.waitUntilFinished(bad)
                #expect(failed.status == .failed)
                #expect(failed.attempt == 1)
                #expect(failed.error?.kind == "llm_bad_request")
                #expect(failed.error?.retryable == false)
                #expect(failed.error?.message.contains("scripted failure 400") == true)

                let flaky = try await stack.submit(
                    SubmitWorkflowRequest(
                        agent: "operations_analysis", input: ["request": "a flaky model"],
                        options: WorkflowOptions(retry: RetryPolicy(initialIntervalSeconds: 0.1, maximumAttempts: 3)))
                ).view.id
                let recovered = try await stack.waitUntilFinished(flaky)
                #expect(recovered.status == .completed)
                #expect(recovered.attempt == 3)
                #expect(await llm.ruleUses[1] == 2)
            }
        }
    }
}
