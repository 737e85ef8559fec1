import BatonContracts

/// The `areas` of an operations agent's input, checked: the input comes from any API
/// caller (or a model's tool call), and every area costs tool calls, a model call and,
/// in the operations agent, a parallel branch.
enum OperationsInput {
    static let maxAreas = 20

    /// The input of both operations agents.
    static let schema = JSONSchema([
        "type": "object",
        "required": ["request"],
        "additionalProperties": false,
        "properties": [
            "request": [
                "type": "string", "minLength": 1, "maxLength": 20_000,
                "description": "The question the analysis answers, in plain words.",
            ],
            "areas": [
                "type": ["array", "null"], "maxItems": .number(Double(maxAreas)),
                "items": ["type": "string", "minLength": 1, "maxLength": 200],
                "description": "The business areas to analyse, such as \"logistics\"; without it the model plans them.",
            ],
            "provider": [
                "type": "string", "minLength": 1, "maxLength": 200,
                "description": "The worker's model provider to use; without it, 'default'.",
            ],
        ],
    ])

    /// The area names, lowercased, in the order given, each once; empty when absent.
    static func areas(_ value: JSONValue?) throws(AgentInputError) -> [String] {
        guard let value, value != .null else { return [] }
        guard let list = value.arrayValue else {
            throw AgentInputError("'areas' must be a list of area names, such as [\"logistics\"]")
        }
        var areas: [String] = []
        var seen: Set<String> = []
        for item in list {
            guard let name = item.stringValue?.lowercased(), !name.isEmpty else {
                throw AgentInputError("'areas' must hold only area names (non-empty strings)")
            }
            guard seen.insert(name).inserted else { continue }
            guard areas.count < maxAreas else {
                throw AgentInputError(
                    "'areas' names more than \(maxAreas) areas; ask for at most \(maxAreas) in one run")
            }
            areas.append(name)
        }
        return areas
    }
}
