import BatonContracts
import Foundation

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
            let backlog = kpis["backlog"]?.numberValue?.wholeNumberText ?? "–"
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
