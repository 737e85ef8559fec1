import BatonContracts
import BatonLLM

/// What a worker gives its agents: models by provider name, and the scheduler's API
/// for delegating child workflows.
public struct AgentResources: Sendable {
    public var models: [String: any ChatModel]
    public var tasks: (any TaskDelegate)?
    /// Where test and benchmark hooks (the chain agent's execution log) may write;
    /// nil, the default, switches them off. Set only by the worker's configuration,
    /// never by a workflow's input.
    public var testHooksFolder: String?

    public init(models: [String: any ChatModel] = [:], tasks: (any TaskDelegate)? = nil, testHooksFolder: String? = nil)
    {
        self.models = models
        self.tasks = tasks
        self.testHooksFolder = testHooksFolder
    }

    /// The provider a workflow's input names (`"provider"`), else `default`, else the only one.
    public func model(named name: String?) throws -> any ChatModel {
        if let name {
            guard let model = models[name] else {
                throw AgentInputError(
                    "no model provider named '\(name)' on this worker; it has: \(models.keys.sorted().joined(separator: ", "))"
                )
            }
            return model
        }
        if let model = models["default"] ?? (models.count == 1 ? models.values.first : nil) { return model }
        throw AgentInputError(
            "this worker has no model provider 'default'; name one with \"provider\" in the input (it has: \(models.keys.sorted().joined(separator: ", ")))"
        )
    }

    /// What is missing for `requirements`, as messages for the start-up report.
    public func problems(for requirements: AgentRequirements, agent: String) -> [String] {
        var problems: [String] = []
        if requirements.contains(.model) && models.isEmpty {
            problems.append("agent '\(agent)' calls a model: configure at least one entry under 'providers'")
        }
        if requirements.contains(.tasks) && tasks == nil {
            problems.append(
                "agent '\(agent)' delegates child workflows: set 'scheduler_url' to the scheduler's HTTP address")
        }
        return problems
    }
}
