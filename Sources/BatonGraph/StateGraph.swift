/// A graph of async nodes over a `GraphState`, LangGraph-style: add nodes and edges,
/// then `compile()` validates it and returns a runnable `CompiledGraph`.
public struct StateGraph<State: GraphState>: Sendable {
    /// A node reads the state and returns it changed.
    public typealias Node = @Sendable (State, NodeContext) async throws -> State
    /// Picks the next nodes from the state a step produced.
    public typealias Router = @Sendable (State) async throws -> [Route<State>]

    public static var start: String { "__start__" }
    public static var end: String { "__end__" }

    enum Body: Sendable {
        case function(Node)
        case subgraph(CompiledGraph<State>)
    }

    struct ConditionalEdge: Sendable {
        var destinations: Set<String>
        var router: Router
    }

    var nodes: [String: Body] = [:]
    var nodeOrder: [String] = []
    var edges: [String: [String]] = [:]
    var conditionalEdges: [String: ConditionalEdge] = [:]
    var errors: [GraphError] = []

    public init() {}

    public mutating func addNode(_ name: String, _ node: @escaping Node) {
        add(name, .function(node))
    }

    /// A compiled graph as one node: it runs on this node's input, checkpoints inside
    /// the parent's checkpoints, and resumes where it stopped.
    public mutating func addSubgraph(_ name: String, _ graph: CompiledGraph<State>) {
        add(name, .subgraph(graph))
    }

    private mutating func add(_ name: String, _ body: Body) {
        if name == Self.start || name == Self.end || name.contains("#") {
            errors.append(.reservedName(name))
        } else if nodes[name] != nil {
            errors.append(.duplicateNode(name))
        } else {
            nodes[name] = body
            nodeOrder.append(name)
        }
    }

    /// After `from` finishes, run `to` (use `StateGraph.start` / `.end`). Several edges
    /// from one node run their targets in parallel in the next super-step.
    public mutating func addEdge(from: String, to: String) {
        edges[from, default: []].append(to)
    }

    /// After `from` finishes, `router` picks among `destinations` (END included if it may end).
    public mutating func addConditionalEdges(from: String, destinations: [String], router: @escaping Router) {
        conditionalEdges[from] = ConditionalEdge(destinations: Set(destinations), router: router)
    }

    /// Checks the graph before anything runs: unknown names, nodes without outgoing
    /// edges, unreachable nodes, nodes with no path to END. `stepLimit` bounds the
    /// super-steps of a run, `taskLimit` the tasks of one super-step (what a `Send`
    /// fan-out over outside data, such as a model's list, may start).
    public func compile(stepLimit: Int = 100, taskLimit: Int = 1_000) throws(GraphError) -> CompiledGraph<State> {
        if let error = errors.first { throw error }
        guard edges[Self.start] != nil || conditionalEdges[Self.start] != nil else { throw .noEntryPoint }
        let sources = [Self.start] + nodeOrder
        for source in Set(edges.keys).union(conditionalEdges.keys).sorted() where !sources.contains(source) {
            throw .unknownNode(source, referencedBy: source)
        }
        for source in sources {
            for target in successors(of: source).sorted() where target != Self.end && nodes[target] == nil {
                throw .unknownNode(target, referencedBy: source)
            }
        }
        for node in nodeOrder where successors(of: node).isEmpty { throw .noOutgoingEdge(node) }
        let reachable = reach(from: [Self.start], following: successors(of:))
        let unreachable = nodeOrder.filter { !reachable.contains($0) }
        if !unreachable.isEmpty { throw .unreachableNodes(unreachable) }
        let canEnd = reach(from: [Self.end]) { node in
            Set(sources.filter { successors(of: $0).contains(node) })
        }
        if let stuck = nodeOrder.first(where: { !canEnd.contains($0) }) { throw .noPathToEnd(from: stuck) }
        return CompiledGraph(
            nodes: nodes, edges: edges, conditionalEdges: conditionalEdges, stepLimit: stepLimit,
            taskLimit: taskLimit)
    }

    private func successors(of node: String) -> Set<String> {
        Set(edges[node] ?? []).union(conditionalEdges[node]?.destinations ?? [])
    }

    private func reach(from start: [String], following next: (String) -> Set<String>) -> Set<String> {
        var seen = Set(start)
        var queue = start
        while let node = queue.popLast() {
            for successor in next(node) where seen.insert(successor).inserted { queue.append(successor) }
        }
        return seen
    }
}
