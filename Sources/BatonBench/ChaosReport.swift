import BatonContracts
import Foundation

/// The printed outcome of a chaos run: the plan's seed (to replay it), workflows by
/// kind and final status, the faults with their times, and every invariant.
struct ChaosReport {
    var seed: UInt64
    var replay: String
    var elapsed: Double
    var tracks: [String: ChaosWorkflowTrack]
    var finalStatus: [String: String]
    var faults: [ChaosFaultRecord]
    var invariants: [ChaosInvariant]
    var driverNotes: [String]

    var passed: Bool { invariants.allSatisfy(\.holds) }

    func render(maximumViolations: Int = 25) -> String {
        var lines: [String] = []
        lines.append("=== baton chaos: seed \(seed), \(String(format: "%.0f", elapsed)) s")
        lines.append("replay: \(replay)")
        lines.append("")
        lines.append("--- workflows by kind and final status (\(tracks.count), children included)")
        let statuses = ["completed", "failed", "cancelled", "timed_out", "unfinished"]
        lines.append(pad("kind", 12) + statuses.map { pad($0, 12) }.joined() + "worker_crashed")
        for kind in ChaosWorkflowKind.allCases {
            let ofKind = tracks.values.filter { $0.kind == kind }
            guard !ofKind.isEmpty else { continue }
            var counts: [String: Int] = [:]
            var crashed = 0
            for track in ofKind {
                let status = finalStatus[track.id] ?? "unfinished"
                counts[statuses.contains(status) ? status : "unfinished", default: 0] += 1
                if status == "failed:worker_crashed" { crashed += 1 }
            }
            counts["failed", default: 0] += crashed
            counts["unfinished", default: 0] -= crashed
            lines.append(
                pad(kind.rawValue, 12) + statuses.map { pad(String(counts[$0] ?? 0), 12) }.joined() + String(crashed))
        }
        lines.append("")
        var byKind: [String: Int] = [:]
        for fault in faults { byKind[fault.kind.rawValue, default: 0] += 1 }
        lines.append(
            "--- faults injected (\(faults.count)): "
                + byKind.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        for fault in faults {
            let took = fault.endedAt.timeIntervalSince(fault.startedAt)
            lines.append(
                "  \(pad(String(format: "%6.1f s", fault.offset), 9)) \(pad(fault.kind.rawValue, 17)) \(fault.detail)"
                    + String(format: " (%.1f s)", took) + (fault.error.map { " FAILED: \($0)" } ?? ""))
        }
        lines.append("")
        lines.append("--- driver: " + driverNotes.joined(separator: "; "))
        lines.append("")
        lines.append("--- invariants")
        for invariant in invariants {
            lines.append(
                "\(invariant.holds ? "PASS" : "FAIL") \(invariant.name): \(invariant.checked) checked, \(invariant.violations.count) violations"
            )
            for note in invariant.notes { lines.append("       \(note)") }
            for violation in invariant.violations.prefix(maximumViolations) { lines.append("     ✗ \(violation)") }
            if invariant.violations.count > maximumViolations {
                lines.append("     … and \(invariant.violations.count - maximumViolations) more")
            }
        }
        lines.append("")
        lines.append(passed ? "chaos: PASSED (seed \(seed))" : "chaos: FAILED (seed \(seed)); replay: \(replay)")
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
