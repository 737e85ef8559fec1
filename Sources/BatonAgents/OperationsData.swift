import BatonContracts
import BatonLLM
import Foundation

/// The business data the operations agents read through tools: key figures and
/// incidents per operational area. A deterministic sample (the same area always gives
/// the same figures) stands in for a company's systems; a deployment replaces this
/// file's functions with its own data sources.
public enum OperationsData {
    public static let areas = ["sales", "logistics", "support", "finance", "inventory"]

    public static let tools = [
        ToolDefinition(
            name: "get_kpis", description: "Key operational figures of one area for the last 30 days.",
            parameters: [
                "type": "object", "required": ["area"],
                "properties": ["area": ["type": "string", "enum": .array(areas.map { .string($0) })]],
            ]),
        ToolDefinition(
            name: "list_incidents", description: "Open incidents of one area, most severe first.",
            parameters: [
                "type": "object", "required": ["area"],
                "properties": ["area": ["type": "string", "enum": .array(areas.map { .string($0) })]],
            ]),
    ]

    /// Runs a tool call by name; unknown tools and bad arguments become an answer the
    /// model can read, as OpenAI's function-calling expects, rather than a failure.
    public static func execute(_ call: ToolCall) -> String {
        let arguments = call.function.parsedArguments
        guard let area = arguments["area"]?.stringValue?.lowercased() else {
            return #"{"error": "the argument 'area' is required"}"#
        }
        let result: JSONValue
        switch call.function.name {
        case "get_kpis": result = kpis(area: area)
        case "list_incidents": result = incidents(area: area)
        default: return #"{"error": "unknown tool '\#(call.function.name)'; use get_kpis or list_incidents"}"#
        }
        return result.compactText
    }

    public static func kpis(area: String) -> JSONValue {
        let seed = StableHash.fnv1a(area)
        let trend = ["improving", "stable", "worsening"][Int(seed % 3)]
        return [
            "area": .string(area),
            "volume": .number(Double(1_000 + seed % 9_000)),
            "on_time_rate": .number(Double(80 + seed % 19) / 100),
            "cost_per_unit": .number(Double(200 + seed % 800) / 100),
            "backlog": .number(Double(seed % 400)),
            "trend": .string(trend),
        ]
    }

    public static func incidents(area: String) -> JSONValue {
        let seed = StableHash.fnv1a(area + "/incidents")
        let severities = ["high", "medium", "low"]
        return .array(
            (0..<Int(1 + seed % 3)).map { index in
                [
                    "id": .string("\(area.prefix(3).uppercased())-\(100 + (seed >> (index * 4)) % 900)"),
                    "severity": .string(severities[Int((seed &+ UInt64(index)) % 3)]),
                    "summary": .string("\(area) incident \(index + 1)"),
                ]
            })
    }

    /// A risk level from the figures: what a report leads with.
    public static func risk(kpis: JSONValue, incidents: JSONValue) -> String {
        let high = incidents.arrayValue?.filter { $0["severity"] == "high" }.count ?? 0
        let worsening = kpis["trend"] == "worsening"
        return high > 0 && worsening ? "high" : (high > 0 || worsening ? "medium" : "low")
    }
}
