/// Where a conditional edge sends the graph next.
public enum Route<State: GraphState>: Sendable {
    /// Run this node in the next super-step, on the shared state.
    case node(String)
    /// Run this node in the next super-step on its own input (LangGraph's `Send`):
    /// one node, many inputs, all in parallel; their writes merge through the reducers.
    case send(String, State)
    case end
}
