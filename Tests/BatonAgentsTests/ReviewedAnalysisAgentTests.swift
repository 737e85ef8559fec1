import BatonAgents
import BatonContracts
import BatonGraph
import BatonLLM
import BatonScriptedLLM
import BatonTestSupport
import Testing

/// The human-in-the-loop agent's paths: each answer changes what runs next.
@Suite struct ReviewedAnalysisAgentTests {
    static let input: JSONValue = ["request": "Why are deliveries late?", "areas": ["logistics", "support", "sales"]]

    /// Runs the agent from `checkpoint` with `answer`, as the worker does after a person answers.
    static func step(
        _ agent: ReviewedAnalysisAgent, from checkpoint: Checkpoint?, answer: JSONValue?, attempt: Int
    ) async throws -> (AgentOutcome, Checkpoint?) {
        let log = RunLog()
        let outcome = try await agent.run(
            AgentRun(
                workflowId: "wf-review", attempt: attempt, input: input, checkpoint: checkpoint, humanInput: answer,
                caller: "alice"),
            hooks: log.hooks())
        return (outcome, log.checkpoints.last ?? checkpoint)
    }

    /// What the scheduler answers a parent with when its child ends.
    static func childOutcome(_ id: String) throws -> JSONValue {
        try JSONValueCoding.encode(
            ChildWorkflowOutcome(
                id: id, agent: "operations_analysis", status: .completed,
                result: ["report": ["summary": "Carrier contracts explain most delays."]]))
    }

    /// Runs the agent past its wait for the child workflow, checking the wait.
    static func throughChildWorkflow(
        _ agent: ReviewedAnalysisAgent, from checkpoint: Checkpoint?, answer: JSONValue, attempt: Int
    ) async throws -> (AgentOutcome, Checkpoint?) {
        let (waiting, waitCheckpoint) = try await step(agent, from: checkpoint, answer: answer, attempt: attempt)
        guard case .interrupted(let wait) = waiting, let child = wait.childWorkflowId else {
            Issue.record("expected a wait for the child workflow, got \(waiting)")
            return (waiting, waitCheckpoint)
        }
        #expect(child == "wf-review.deep-dive")
        #expect(wait.choices.isEmpty)
        return try await step(agent, from: waitCheckpoint, answer: try childOutcome(child), attempt: attempt + 1)
    }

    static func agent(_ url: String, tasks: RecordingTasks) -> ReviewedAnalysisAgent {
        ReviewedAnalysisAgent(
            resources: AgentResources(models: ["default": OperationsScript.model(url)], tasks: tasks))
    }

    @Test func rejectingTheScopeStopsBeforeAnyAnalysis() async throws {
        try await ScriptedLLM.withServer(OperationsScript.rules) { url, llm in
            let tasks = RecordingTasks()
            let agent = Self.agent(url, tasks: tasks)
            let (first, checkpoint) = try await Self.step(agent, from: nil, answer: nil, attempt: 1)
            guard case .interrupted(let question) = first else {
                Issue.record("expected the scope question, got \(first)")
                return
            }
            #expect(question.choices.map(\.id) == ["approve", "edit", "reject"])
            #expect(question.question.contains("logistics, support, sales"))
            let (second, _) = try await Self.step(agent, from: checkpoint, answer: ["choice": "reject"], attempt: 2)
            guard case .completed(let output) = second else {
                Issue.record("expected the end, got \(second)")
                return
            }
            #expect(output["outcome"] == "rejected_at_validation")
            #expect(output["analyses"] == [])
            #expect(output["report"] == nil || output["report"] == .null)
            #expect(tasks.submitted.isEmpty)
            #expect(await llm.requests == 1)  // the scope summary only; resuming did not ask again
        }
    }

    @Test func anEditNarrowsThePlanThenAChildWorkflowAndAReviewLeadToTheReport() async throws {
        try await ScriptedLLM.withServer(OperationsScript.rules) { url, llm in
            let tasks = RecordingTasks()
            let agent = Self.agent(url, tasks: tasks)
            let (_, scopeCheckpoint) = try await Self.step(agent, from: nil, answer: nil, attempt: 1)
            let (review, reviewCheckpoint) = try await Self.throughChildWorkflow(
                agent, from: scopeCheckpoint,
                answer: ["choice": "edit", "text": "Only logistics, and focus on carriers"], attempt: 2)
            guard case .interrupted(let question) = review else {
                Issue.record("expected the review question, got \(review)")
                return
            }
            #expect(question.choices.map(\.id) == ["publish", "revise", "reject"])
            #expect(question.question.contains("Carrier contracts explain most delays."))
            // The child workflow: derived id, parent, caller, and the riskiest (only) area.
            let child = try #require(tasks.submitted.first)
            #expect(tasks.submitted.count == 1)
            #expect(child.id == "wf-review.deep-dive")
            #expect(child.parentId == "wf-review")
            #expect(child.caller == "alice")
            #expect(child.agent == "operations_analysis")
            #expect(child.input?["areas"] == ["logistics"])

            let (done, _) = try await Self.step(
                agent, from: reviewCheckpoint, answer: ["choice": "revise", "text": "Lead with the numbers"],
                attempt: 4)
            guard case .completed(let output) = done else {
                Issue.record("expected the report, got \(done)")
                return
            }
            #expect(output["outcome"] == "published")
            #expect(output["areas"] == ["logistics"])
            #expect(output["focus"] == "Only logistics, and focus on carriers")
            #expect(output["instructions"] == "Lead with the numbers")
            #expect(output["analyses"]?.arrayValue?.count == 1)
            let markdown = try #require(output["report"]?["markdown"]?.stringValue)
            #expect(markdown.contains("## Deep dive: logistics"))
            #expect(markdown.contains("Requested by alice."))
            #expect(output["decisions"]?.arrayValue?.map { $0["choice"] } == ["edit", "revise"])
            // scope 1 + analyse 1 + draft 1: nothing asked twice across the four runs.
            #expect(await llm.requests == 3)
            #expect(tasks.submitted.count == 1)
        }
    }

    @Test func rejectingTheFindingsDiscardsThemWithoutADraft() async throws {
        try await ScriptedLLM.withServer(OperationsScript.rules) { url, llm in
            let tasks = RecordingTasks()
            let agent = Self.agent(url, tasks: tasks)
            let (_, scope) = try await Self.step(agent, from: nil, answer: nil, attempt: 1)
            let (_, review) = try await Self.throughChildWorkflow(
                agent, from: scope, answer: ["choice": "approve"], attempt: 2)
            let (done, _) = try await Self.step(agent, from: review, answer: ["choice": "reject"], attempt: 4)
            guard case .completed(let output) = done else {
                Issue.record("expected the end, got \(done)")
                return
            }
            #expect(output["outcome"] == "rejected_at_review")
            #expect(output["analyses"]?.arrayValue?.count == 3)
            #expect(output["report"] == nil || output["report"] == .null)
            #expect(await llm.requests == 4)  // scope + three areas, no draft
        }
    }
}
