import BatonContracts
import BatonGraph
import Foundation

/// The figures and incidents gathered for one area.
public struct AreaEvidence: Sendable, Hashable, Codable {
    public var kpis: JSONValue
    public var incidents: JSONValue

    public init(kpis: JSONValue, incidents: JSONValue) {
        self.kpis = kpis
        self.incidents = incidents
    }

    public var risk: String { OperationsData.risk(kpis: kpis, incidents: incidents) }
}

/// Evidence from the tool results of a conversation; areas the model did not ask
/// about are fetched directly (journaled too), so every planned area has evidence.
func gatheredEvidence(
    _ conversation: Conversation, areas: [String], context: NodeContext
) async throws -> [String: AreaEvidence] {
    var kpis: [String: JSONValue] = [:]
    var incidents: [String: JSONValue] = [:]
    let results = Dictionary(
        conversation.messages.compactMap { message in message.toolCallId.map { ($0, message.content ?? "") } },
        uniquingKeysWith: { first, _ in first })
    for call in conversation.toolCalls {
        let arguments = call.function.parsedArguments
        guard let area = arguments["area"]?.stringValue?.lowercased(), let text = results[call.id],
            let value = JSONValue(parsing: text), value["error"] == nil
        else { continue }
        if call.function.name == "get_kpis" { kpis[area] = value }
        if call.function.name == "list_incidents" { incidents[area] = value }
    }
    var evidence: [String: AreaEvidence] = [:]
    for area in areas {
        var areaKPIs = kpis[area]
        if areaKPIs == nil { areaKPIs = try await context.call("fetch") { OperationsData.kpis(area: area) } }
        var areaIncidents = incidents[area]
        if areaIncidents == nil {
            areaIncidents = try await context.call("fetch") { OperationsData.incidents(area: area) }
        }
        evidence[area] = AreaEvidence(kpis: areaKPIs ?? .null, incidents: areaIncidents ?? .array([]))
    }
    return evidence
}
