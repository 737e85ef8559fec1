/// Why a graph could not be built or run.
public enum GraphError: Error, Equatable, CustomStringConvertible {
    case duplicateNode(String)
    case reservedName(String)
    case unknownNode(String, referencedBy: String)
    case noEntryPoint
    case noOutgoingEdge(String)
    case unreachableNodes([String])
    case noPathToEnd(from: String)
    /// A conditional edge routed to a node it did not declare as a destination.
    case undeclaredRoute(from: String, to: String)
    case stepLimitExceeded(Int)
    /// A super-step would run more tasks (a `Send` fan-out) than the graph allows.
    case taskLimitExceeded(Int)
    /// A checkpoint names a node this graph does not have (the graph changed since it was taken).
    case checkpointMismatch(String)
    case stateEncoding(String)
    /// `ctx.call` results must be JSON-encodable to be journaled.
    case journalEncoding(call: String, reason: String)
    /// The token counts of a node no longer fit an `Int`.
    case usageOverflow(node: String)

    public var description: String {
        switch self {
        case .duplicateNode(let name): "node '\(name)' is added twice"
        case .reservedName(let name): "'\(name)' is reserved for the graph's start and end"
        case .unknownNode(let name, let from): "an edge from '\(from)' leads to unknown node '\(name)'"
        case .noEntryPoint: "the graph has no edge from START"
        case .noOutgoingEdge(let name): "node '\(name)' has no outgoing edge; add one (to END if it is the last)"
        case .unreachableNodes(let names): "nodes not reachable from START: \(names.joined(separator: ", "))"
        case .noPathToEnd(let from): "node '\(from)' has no path to END"
        case .undeclaredRoute(let from, let to):
            "the conditional edge of '\(from)' routed to '\(to)', which is not among its declared destinations"
        case .stepLimitExceeded(let limit):
            "the graph ran \(limit) super-steps without reaching END (step limit); raise it with compile(stepLimit:) or fix the loop"
        case .taskLimitExceeded(let limit):
            "a super-step would run more than \(limit) tasks (task limit); raise it with compile(taskLimit:) or send fewer"
        case .checkpointMismatch(let reason): "cannot resume from checkpoint: \(reason)"
        case .stateEncoding(let reason): "graph state is not JSON-encodable: \(reason)"
        case .journalEncoding(let call, let reason): "the result of call '\(call)' cannot be journaled: \(reason)"
        case .usageOverflow(let node):
            "the token counts of node '\(node)' overflow: a model server or a checkpoint reported an impossible number"
        }
    }
}
