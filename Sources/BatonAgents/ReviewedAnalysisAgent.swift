import BatonContracts
import BatonGraph
import BatonLLM
import Foundation

/// The human-in-the-loop agent: gather → a person validates the scope (approve, edit,
/// reject) → analyse → a deep dive on the riskiest area, delegated to the operations
/// agent as a child workflow → a person reviews (publish, revise, reject) → draft.
///
/// The answers change what happens: a rejection ends the run with nothing analysed or
/// drafted; an edit's free text picks the areas it names and becomes the analysis
/// focus; a revision's text becomes the drafting instructions.
///
/// While the child runs, this workflow holds no worker: it waits in the scheduler
/// (status `awaiting_input`, its interrupt naming the child) and resumes when the
/// child ends.
///
/// Input: `{"request": "…", "areas": [...], "provider": "default"}`.
public struct ReviewedAnalysisAgent: Agent {
    public let name = "reviewed_analysis"
    public var requirements: AgentRequirements { [.model, .tasks] }
    public var summary: String {
        "An operations analysis a person reviews: asks to confirm the scope, delegates a deep dive to a child workflow, and asks to approve the report before it is published."
    }
    public var inputSchema: JSONSchema { OperationsInput.schema }
    let resources: AgentResources

    public init(resources: AgentResources) {
        self.resources = resources
    }

    /// One person's decision, kept in the result as an audit trail.
    public struct Decision: Sendable, Hashable, Codable {
        public var stage: String
        public var choice: String
        public var text: String?
    }

    /// The child workflow's outcome.
    public struct DeepDive: Sendable, Hashable, Codable {
        public var workflowId: String
        public var area: String
        public var status: WorkflowStatus
        public var summary: String?
    }

    public struct State: GraphState {
        public var request = ""
        public var requestedBy: String?
        public var areas: [String] = []
        public var focus: String?
        public var evidence: [String: AreaEvidence] = [:]
        public var scope: String?
        public var decisions: [Decision] = []
        public var analyses: [AreaAnalysis] = []
        public var deepDive: DeepDive?
        public var instructions: String?
        public var report: OperationsReport?
        /// `published`, `rejected_at_validation` or `rejected_at_review`.
        public var outcome: String?

        public static let reducers: [String: Reducer] = ["decisions": .append]
    }

    public func run(_ run: AgentRun, hooks: GraphRunHooks) async throws -> AgentOutcome {
        guard let request = run.input["request"]?.stringValue, !request.isEmpty else {
            throw AgentInputError("'request' must be a non-empty string: what should the analysis answer?")
        }
        let requested = try OperationsInput.areas(run.input["areas"])
        guard let tasks = resources.tasks else {
            throw AgentInputError(
                "this worker cannot delegate child workflows: set 'scheduler_url' in its configuration")
        }
        let model = try resources.model(named: run.input["provider"]?.stringValue)
        var state = State()
        state.request = request
        state.requestedBy = run.caller
        state.areas = requested.isEmpty ? OperationsPrompts.areas(in: request) : requested
        if state.areas.isEmpty { state.areas = OperationsData.areas }
        let parent = (id: run.workflowId, caller: run.caller)
        return try await Self.graph(model: model, tasks: tasks, parent: parent).run(run, input: state, hooks: hooks)
    }

    static func graph(
        model: any ChatModel, tasks: any TaskDelegate, parent: (id: String, caller: String?)
    ) throws -> CompiledGraph<State> {
        var graph = StateGraph<State>()
        graph.addNode("gather") { state, context in
            await context.reportProgress(phase: "gather", percent: 10, label: "gathering figures")
            var state = state
            state.evidence = try await gatheredEvidence(
                Conversation(messages: []), areas: state.areas, context: context)
            let overview = state.areas.map { "\($0): \(state.evidence[$0]?.risk ?? "unknown") risk" }
            let answer = try await context.complete(
                ChatRequest(messages: [
                    OperationsPrompts.analyst,
                    .user("SCOPE: \(state.request)\n\(overview.joined(separator: "\n"))"),
                ]),
                using: model)
            state.scope = answer.text
            return state
        }
        graph.addNode("validate") { state, context in
            await context.reportProgress(phase: "validate", percent: 25, label: "waiting for a person to validate")
            let answer = try await context.interrupt(
                InterruptRequest(
                    title: "Validate the analysis scope",
                    question:
                        "\(state.scope ?? "")\nAnalyse \(state.areas.joined(separator: ", "))? "
                        + "Approve, reject, or edit: name the areas to keep and what to focus on.",
                    choices: [
                        .init(id: "approve", label: "Analyse these areas"),
                        .init(id: "edit", label: "Change the areas or the focus (free text)"),
                        .init(id: "reject", label: "Stop here"),
                    ],
                    metadata: ["areas": .array(state.areas.map { .string($0) })]))
            var state = state
            let choice = answer.choice ?? (answer.text == nil ? "approve" : "edit")
            state.decisions.append(Decision(stage: "validate", choice: choice, text: answer.text))
            switch choice {
            case "reject":
                state.outcome = "rejected_at_validation"
            case "edit":
                let text = answer.text ?? ""
                let named = OperationsPrompts.areas(in: text)
                if !named.isEmpty { state.areas = named }
                state.focus = text
            default:
                break
            }
            return state
        }
        graph.addNode("analyse") { state, context in
            await context.reportProgress(phase: "analyse", percent: 40, label: "analysing \(state.areas.count) areas")
            var state = state
            // An edit may name areas the first gathering did not cover.
            let missing = state.areas.filter { state.evidence[$0] == nil }
            if !missing.isEmpty {
                let more = try await gatheredEvidence(Conversation(messages: []), areas: missing, context: context)
                state.evidence.merge(more) { old, _ in old }
            }
            for area in state.areas {
                guard let evidence = state.evidence[area] else { continue }
                let answer = try await context.complete(
                    ChatRequest(
                        messages: OperationsPrompts.analyse(
                            state.request, area: area, evidence: evidence, focus: state.focus)),
                    using: model)
                state.analyses.append(AreaAnalysis(area: area, risk: evidence.risk, summary: answer.text))
            }
            return state
        }
        graph.addNode("delegate") { state, context in
            let order = ["high": 0, "medium": 1, "low": 2]
            guard let riskiest = state.analyses.min(by: { (order[$0.risk] ?? 3) < (order[$1.risk] ?? 3) }) else {
                return state
            }
            await context.reportProgress(
                phase: "delegate", percent: 60, label: "deep dive on \(riskiest.area) (child workflow)")
            let outcome = try await context.runChildWorkflow(
                SubmitWorkflowRequest(
                    id: SubmitWorkflowRequest.childId(of: parent.id, key: "deep-dive"), agent: "operations_analysis",
                    input: [
                        "request": .string("Deep dive into \(riskiest.area): \(state.request)"),
                        "areas": [.string(riskiest.area)],
                    ], caller: parent.caller, parentId: parent.id),
                via: tasks)
            let deepDive = DeepDive(
                workflowId: outcome.id, area: riskiest.area, status: outcome.status,
                summary: outcome.result?["report"]?["summary"]?.stringValue ?? outcome.error?.message)
            var state = state
            state.deepDive = deepDive
            return state
        }
        graph.addNode("review") { state, context in
            await context.reportProgress(phase: "review", percent: 75, label: "waiting for a person to review")
            var findings = state.analyses.map { "- \($0.area) (\($0.risk)): \($0.summary)" }
            if let deepDive = state.deepDive {
                findings.append("- deep dive on \(deepDive.area): \(deepDive.summary ?? deepDive.status.rawValue)")
            }
            let answer = try await context.interrupt(
                InterruptRequest(
                    title: "Review the findings before the report is drafted",
                    question: findings.joined(separator: "\n") + "\nPublish a report from these findings?",
                    choices: [
                        .init(id: "publish", label: "Draft and publish the report"),
                        .init(id: "revise", label: "Draft it with my instructions (free text)"),
                        .init(id: "reject", label: "Discard the findings"),
                    ]))
            var state = state
            let choice = answer.choice ?? (answer.text == nil ? "publish" : "revise")
            state.decisions.append(Decision(stage: "review", choice: choice, text: answer.text))
            if choice == "reject" { state.outcome = "rejected_at_review" }
            if choice == "revise" { state.instructions = answer.text }
            return state
        }
        graph.addNode("draft") { state, context in
            await context.reportProgress(phase: "draft", percent: 90, label: "drafting the report")
            let answer = try await context.complete(
                ChatRequest(
                    messages: OperationsPrompts.draft(
                        state.request, analyses: state.analyses, instructions: state.instructions)),
                using: model)
            var state = state
            let appendix = state.deepDive.map { deepDive in
                "## Deep dive: \(deepDive.area)\n\nChild workflow \(deepDive.workflowId) (\(deepDive.status.rawValue)). "
                    + (deepDive.summary ?? "")
            }
            state.report = OperationsReport(
                request: state.request, requestedBy: state.requestedBy, summary: answer.text,
                analyses: state.analyses, evidence: state.evidence, appendix: appendix)
            state.outcome = "published"
            await context.reportProgress(phase: "done", percent: 100, label: "report published")
            return state
        }
        graph.addEdge(from: StateGraph<State>.start, to: "gather")
        graph.addEdge(from: "gather", to: "validate")
        graph.addConditionalEdges(from: "validate", destinations: ["analyse", StateGraph<State>.end]) { state in
            [state.outcome == nil ? .node("analyse") : .end]
        }
        graph.addEdge(from: "analyse", to: "delegate")
        graph.addEdge(from: "delegate", to: "review")
        graph.addConditionalEdges(from: "review", destinations: ["draft", StateGraph<State>.end]) { state in
            [state.outcome == nil ? .node("draft") : .end]
        }
        graph.addEdge(from: "draft", to: StateGraph<State>.end)
        return try graph.compile(stepLimit: 20)
    }
}
