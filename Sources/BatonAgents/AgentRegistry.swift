/// The agents a worker offers, by name.
public struct AgentRegistry: Sendable {
    private var agents: [String: any Agent] = [:]

    public init(_ agents: [any Agent] = []) {
        for agent in agents { register(agent) }
    }

    public mutating func register(_ agent: any Agent) {
        agents[agent.name] = agent
    }

    public func agent(named name: String) -> (any Agent)? { agents[name] }

    public var names: [String] { agents.keys.sorted() }

    /// Every agent this build ships, for workers whose configuration names them.
    public static let builtIn = AgentRegistry([ChainAgent()])
}
