import BatonContracts
import BatonLLM
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

/// One area's analysis, as a report section.
public struct AreaAnalysis: Sendable, Hashable, Codable {
    public var area: String
    public var risk: String
    public var summary: String

    public init(area: String, risk: String, summary: String) {
        self.area = area
        self.risk = risk
        self.summary = summary
    }
}

/// The final artifact of an operations analysis: a Markdown report and its parts.
public struct OperationsReport: Sendable, Hashable, Codable {
    public var title: String
    public var requestedBy: String?
    public var summary: String
    public var areas: [AreaAnalysis]
    public var markdown: String

    public init(
        request: String, requestedBy: String?, summary: String, analyses: [AreaAnalysis],
        evidence: [String: AreaEvidence], appendix: String? = nil
    ) {
        let order = ["high": 0, "medium": 1, "low": 2]
        let areas = analyses.sorted { (order[$0.risk] ?? 3, $0.area) < (order[$1.risk] ?? 3, $1.area) }
        self.title = "Operations analysis: \(request)"
        self.requestedBy = requestedBy
        self.summary = summary
        self.areas = areas
        var lines = ["# \(title)", ""]
        if let requestedBy { lines += ["Requested by \(requestedBy).", ""] }
        lines += ["## Summary", "", summary, "", "## Areas", ""]
        lines += ["| Area | Risk | Trend | On time | Backlog | Open incidents |", "|---|---|---|---|---|---|"]
        for analysis in areas {
            let kpis = evidence[analysis.area]?.kpis ?? .null
            let onTime = kpis["on_time_rate"]?.numberValue.map { String(format: "%.0f %%", $0 * 100) } ?? "–"
            let backlog = kpis["backlog"]?.numberValue.map { String(Int($0)) } ?? "–"
            let incidents = evidence[analysis.area]?.incidents.arrayValue?.count ?? 0
            lines.append(
                "| \(analysis.area) | \(analysis.risk) | \(kpis["trend"]?.stringValue ?? "–") | \(onTime) | \(backlog) | \(incidents) |"
            )
        }
        for analysis in areas { lines += ["", "### \(analysis.area.capitalized)", "", analysis.summary] }
        if let appendix { lines += ["", appendix] }
        self.markdown = lines.joined(separator: "\n") + "\n"
    }
}

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
