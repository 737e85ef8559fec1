import BatonContracts

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

    public var descriptors: [AgentDescriptor] { names.compactMap { agents[$0]?.descriptor } }

    /// Every agent this build ships, given what the worker provides.
    public static func builtIn(resources: AgentResources = AgentResources()) -> AgentRegistry {
        AgentRegistry([
            ChainAgent(testHooksFolder: resources.testHooksFolder), OperationsAnalysisAgent(resources: resources),
            ReviewedAnalysisAgent(resources: resources),
        ])
    }

    /// The agents a worker serves: those `names` lists, or with an empty list every
    /// built-in agent whose requirements `resources` meets. Returns the problems of
    /// listed agents that cannot run, and the unlisted agents left out, with why.
    public static func serving(
        _ names: [String], resources: AgentResources
    ) -> (registry: AgentRegistry, problems: [String], skipped: [String]) {
        let all = builtIn(resources: resources)
        var registry = AgentRegistry()
        var problems: [String] = []
        var skipped: [String] = []
        for name in names.isEmpty ? all.names : names {
            guard let agent = all.agent(named: name) else {
                problems.append("agents: unknown agent '\(name)'; this build has: \(all.names.joined(separator: ", "))")
                continue
            }
            var missing = resources.problems(for: agent.requirements, agent: name)
            let unchecked = agent.inputSchema.unsupportedKeywords
            if !unchecked.isEmpty {
                // A constraint the scheduler would not check is a bug in the agent, not an input's.
                missing.append(
                    "agent '\(name)' declares input schema keywords Baton does not check: \(unchecked.joined(separator: ", ")); use only \(JSONSchema.checkedKeywords.sorted().joined(separator: ", "))"
                )
            }
            if missing.isEmpty {
                registry.register(agent)
            } else if names.isEmpty {
                skipped += missing
            } else {
                problems += missing
            }
        }
        return (registry, problems, skipped)
    }
}
