import BatonContracts
import BatonLLM

/// The prompts of the operations agents. Each user message starts with a phase tag
/// (`PLAN:`, `GATHER:`, …), which also lets a scripted test model tell the phases apart.
enum OperationsPrompts {
    static let analyst = ChatMessage.system(
        "You are an operations analyst. Be factual and brief; cite the figures you are given.")

    static func plan(_ request: String) -> [ChatMessage] {
        [
            .system(
                "You plan operational analyses. Answer with a JSON object {\"areas\": [...], \"focus\": \"...\"}, "
                    + "choosing areas among: \(OperationsData.areas.joined(separator: ", "))."),
            .user("PLAN: \(request)"),
        ]
    }

    static func gather(_ request: String, areas: [String]) -> [ChatMessage] {
        [
            .system(
                "You gather evidence with the tools get_kpis and list_incidents. Call them for every area, "
                    + "then answer with one sentence on what you found."),
            .user("GATHER: areas \(areas.joined(separator: ", ")) for the request: \(request)"),
        ]
    }

    static func analyse(_ request: String, area: String, evidence: AreaEvidence, focus: String?) -> [ChatMessage] {
        var text = "ANALYSE \(area): \(request)\nFigures: \(evidence.kpis.compactText)\n"
        text += "Incidents: \(evidence.incidents.compactText)\nRisk: \(evidence.risk)"
        if let focus, !focus.isEmpty { text += "\nFocus: \(focus)" }
        return [analyst, .user(text)]
    }

    static func draft(_ request: String, analyses: [AreaAnalysis], instructions: String?) -> [ChatMessage] {
        var text = "DRAFT: an executive summary for: \(request)\n"
        for analysis in analyses { text += "- \(analysis.area) (\(analysis.risk) risk): \(analysis.summary)\n" }
        if let instructions, !instructions.isEmpty { text += "Reviewer's instructions: \(instructions)\n" }
        return [analyst, .user(text)]
    }

    /// Areas named in `text`, in the catalogue's order.
    static func areas(in text: String) -> [String] {
        OperationsData.areas.filter { text.localizedCaseInsensitiveContains($0) }
    }
}
