import BatonContracts
import BatonGraph
import BatonLLM
import Foundation

/// The long-running business-operations agent: plan → gather (tool calls) → analyse
/// each area in parallel branches → draft the report. It reports its phase and percent
/// at every step, makes every model and tool call through the step context (a resumed
/// run replays them instead of calling again), and ends with an `OperationsReport`.
///
/// Input: `{"request": "Why are deliveries late?", "areas": ["logistics"], "provider": "default"}`;
/// only `request` is required. Without `areas` the model plans them.
public struct OperationsAnalysisAgent: Agent {
    public let name = "operations_analysis"
    public var requirements: AgentRequirements { .model }
    public var summary: String {
        "Answers a business-operations question: plans the areas, gathers evidence with tools, analyses each area in parallel and writes a report."
    }
    public var inputSchema: JSONSchema { OperationsInput.schema }
    let resources: AgentResources

    public init(resources: AgentResources) {
        self.resources = resources
    }

    public struct Plan: Sendable, Hashable, Codable {
        public var areas: [String] = []
        public var focus: String?
    }

    public struct State: GraphState {
        public var request = ""
        public var requestedBy: String?
        public var plan = Plan()
        public var evidence: [String: AreaEvidence] = [:]
        public var gatherNote: String?
        /// The area one `analyse` branch works on.
        public var area: String?
        public var analyses: [AreaAnalysis] = []
        public var report: OperationsReport?
        /// The report as Markdown, stored by reference (`report.md`) when the worker
        /// reaches the scheduler's API (`scheduler_url`).
        public var reportArtifact: ArtifactView?

        public static let reducers: [String: Reducer] = ["evidence": .merge, "analyses": .append]
    }

    public func run(_ run: AgentRun, hooks: GraphRunHooks) async throws -> AgentOutcome {
        guard let request = run.input["request"]?.stringValue, !request.isEmpty else {
            throw AgentInputError("'request' must be a non-empty string: what should the analysis answer?")
        }
        let requestedAreas = try OperationsInput.areas(run.input["areas"])
        let model = try resources.model(named: run.input["provider"]?.stringValue)
        var state = State()
        state.request = request
        state.requestedBy = run.caller
        state.plan.areas = requestedAreas
        let artifacts = resources.tasks.map { ReportArtifacts(tasks: $0, workflowId: run.workflowId) }
        return try await Self.graph(model: model, artifacts: artifacts).run(run, input: state, hooks: hooks)
    }

    /// Where the drafted report is stored as a file of the workflow.
    struct ReportArtifacts: Sendable {
        let tasks: any TaskDelegate
        let workflowId: String
    }

    static func graph(model: any ChatModel, artifacts: ReportArtifacts? = nil) throws -> CompiledGraph<State> {
        var graph = StateGraph<State>()
        graph.addNode("plan") { state, context in
            await context.reportProgress(phase: "plan", percent: 5, label: "planning the analysis")
            var state = state
            guard state.plan.areas.isEmpty else { return state }
            let answer = try await context.complete(
                ChatRequest(messages: OperationsPrompts.plan(state.request), jsonResponse: true), using: model)
            state.plan = Self.plan(from: answer.text, request: state.request)
            return state
        }
        graph.addNode("gather") { state, context in
            await context.reportProgress(phase: "gather", percent: 15, label: "gathering figures and incidents")
            var state = state
            let conversation = try await context.converse(
                OperationsPrompts.gather(state.request, areas: state.plan.areas), tools: OperationsData.tools,
                using: model, execute: { OperationsData.execute($0) })
            state.evidence = try await gatheredEvidence(conversation, areas: state.plan.areas, context: context)
            state.gatherNote = conversation.answer
            return state
        }
        graph.addNode("analyse") { state, context in
            guard let area = state.area, let evidence = state.evidence[area] else { return state }
            let index = Double(state.plan.areas.firstIndex(of: area) ?? 0)
            await context.reportProgress(
                phase: "analyse", percent: 30 + 50 * index / Double(max(state.plan.areas.count, 1)),
                label: "analysing \(area)")
            let answer = try await context.complete(
                ChatRequest(
                    messages: OperationsPrompts.analyse(
                        state.request, area: area, evidence: evidence, focus: state.plan.focus)),
                using: model)
            var state = state
            state.analyses.append(AreaAnalysis(area: area, risk: evidence.risk, summary: answer.text))
            return state
        }
        graph.addNode("draft") { state, context in
            await context.reportProgress(phase: "draft", percent: 85, label: "drafting the report")
            let answer = try await context.complete(
                ChatRequest(
                    messages: OperationsPrompts.draft(state.request, analyses: state.analyses, instructions: nil)),
                using: model)
            var state = state
            let report = OperationsReport(
                request: state.request, requestedBy: state.requestedBy, summary: answer.text,
                analyses: state.analyses, evidence: state.evidence)
            state.report = report
            if let artifacts {
                // Journaled: a resumed step names the file it stored instead of storing it again.
                state.reportArtifact = try await context.call("store_report") {
                    try await artifacts.tasks.storeArtifact(
                        Data(report.markdown.utf8), name: "report.md", contentType: "text/markdown",
                        of: artifacts.workflowId)
                }
            }
            await context.reportProgress(phase: "done", percent: 100, label: "report ready")
            return state
        }
        graph.addEdge(from: StateGraph<State>.start, to: "plan")
        graph.addEdge(from: "plan", to: "gather")
        graph.addConditionalEdges(from: "gather", destinations: ["analyse", "draft"]) { state in
            let areas = state.plan.areas.filter { state.evidence[$0] != nil }
            guard !areas.isEmpty else { return [.node("draft")] }
            return areas.map { area in
                var branch = state
                branch.area = area
                return .send("analyse", branch)
            }
        }
        graph.addEdge(from: "analyse", to: "draft")
        graph.addEdge(from: "draft", to: StateGraph<State>.end)
        return try graph.compile(stepLimit: 20)
    }

    /// The model's plan, kept to known areas; a plan the model got wrong falls back to
    /// the areas the request names, then to every area.
    static func plan(from text: String, request: String) -> Plan {
        let parsed = JSONValue(parsing: text) ?? .null
        var areas = (parsed["areas"]?.arrayValue ?? []).compactMap { $0.stringValue?.lowercased() }
        areas = OperationsData.areas.filter(areas.contains)
        if areas.isEmpty { areas = OperationsPrompts.areas(in: request) }
        if areas.isEmpty { areas = OperationsData.areas }
        return Plan(areas: areas, focus: parsed["focus"]?.stringValue)
    }
}
