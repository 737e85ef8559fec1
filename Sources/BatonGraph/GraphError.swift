/// Why a graph could not be built or run.
public enum GraphError: Error, Equatable, CustomStringConvertible {
    case duplicateNode(String)
    case unknownNode(String, referencedBy: String)
    case noEntryPoint
    case ambiguousEdge(from: String)
    case unreachableNodes([String])
    case noPathToEnd(from: String)
    case stepLimitExceeded(Int)
    /// A checkpoint names a node this graph does not have (the graph changed since it was taken).
    case checkpointMismatch(String)
    case stateEncoding(String)

    public var description: String {
        switch self {
        case .duplicateNode(let name): "node '\(name)' is added twice"
        case .unknownNode(let name, let from): "edge from '\(from)' leads to unknown node '\(name)'"
        case .noEntryPoint: "the graph has no edge from START"
        case .ambiguousEdge(let from): "node '\(from)' has more than one outgoing edge"
        case .unreachableNodes(let names): "nodes not reachable from START: \(names.joined(separator: ", "))"
        case .noPathToEnd(let from): "node '\(from)' has no path to END"
        case .stepLimitExceeded(let limit): "the graph ran \(limit) steps without reaching END (step limit)"
        case .checkpointMismatch(let reason): "cannot resume from checkpoint: \(reason)"
        case .stateEncoding(let reason): "graph state is not JSON-encodable: \(reason)"
        }
    }
}
