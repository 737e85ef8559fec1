/// A graph of async nodes over a Codable state, LangGraph-style: build it, then
/// `compile()` validates it and returns a runnable `CompiledGraph`.
public struct StateGraph<State: Codable & Sendable>: Sendable {
    /// A node reads the state and returns the new state.
    public typealias Node = @Sendable (State, NodeContext) async throws -> State

    public static var start: String { "__start__" }
    public static var end: String { "__end__" }

    var nodes: [String: Node] = [:]
    var nodeOrder: [String] = []
    var edges: [String: String] = [:]
    var errors: [GraphError] = []

    public init() {}

    public mutating func addNode(_ name: String, _ node: @escaping Node) {
        if nodes[name] != nil || name == Self.start || name == Self.end {
            errors.append(.duplicateNode(name))
            return
        }
        nodes[name] = node
        nodeOrder.append(name)
    }

    /// After `from` finishes, run `to` (use `StateGraph.start` / `.end` for the ends).
    public mutating func addEdge(from: String, to: String) {
        if edges[from] != nil {
            errors.append(.ambiguousEdge(from: from))
            return
        }
        edges[from] = to
    }

    /// Checks the graph before anything runs: unknown names, unreachable nodes, no path to END.
    public func compile(stepLimit: Int = 100) throws(GraphError) -> CompiledGraph<State> {
        if let error = errors.first { throw error }
        guard edges[Self.start] != nil else { throw .noEntryPoint }
        for (from, to) in edges.sorted(by: { $0.key < $1.key }) {
            if from != Self.start && nodes[from] == nil { throw .unknownNode(from, referencedBy: from) }
            if to != Self.end && nodes[to] == nil { throw .unknownNode(to, referencedBy: from) }
        }
        var reachable: Set<String> = []
        var cursor = edges[Self.start]
        while let node = cursor, node != Self.end, !reachable.contains(node) {
            reachable.insert(node)
            cursor = edges[node]
        }
        let unreachable = nodeOrder.filter { !reachable.contains($0) }
        if !unreachable.isEmpty { throw .unreachableNodes(unreachable) }
        for node in nodeOrder {
            // With one outgoing edge per node, a walk that revisits a node loops forever.
            var seen: Set<String> = []
            var cursor: String? = node
            while let current = cursor, current != Self.end {
                guard seen.insert(current).inserted, let next = edges[current] else { throw .noPathToEnd(from: node) }
                cursor = next
            }
        }
        return CompiledGraph(nodes: nodes, edges: edges, stepLimit: stepLimit)
    }
}
