import BatonContracts
import BatonSchedulerClient
import Foundation

/// What `baton watch` prints of a workflow's stream.
struct WatchDisplay {
    enum Style {
        /// A progress bar redrawn in place, with lines for what a person must see.
        case bar
        /// One line per change: for a pipe or a log.
        case lines
        /// Each event as a line of JSON.
        case json
    }

    let id: String
    let style: Style
    /// Prints model text as it comes (`--text`).
    let showsText: Bool
    private var lastLine = ""
    private var barShown = false
    /// The call whose text was printed last, and whether its line is still open.
    private var textCall: String?
    private var textLineOpen = false

    init(id: String, style: Style, showsText: Bool = false) {
        self.id = id
        self.style = style
        self.showsText = showsText
    }

    mutating func show(_ event: WorkflowStreamEvent) throws {
        switch (style, event) {
        case (.json, .workflow(let view)): try OutputOptions.printJSONLine(Tagged(event: "workflow", data: view))
        case (.json, .history(let entry)): try OutputOptions.printJSONLine(Tagged(event: "history", data: entry))
        case (.json, .end(let view)): try OutputOptions.printJSONLine(Tagged(event: "end", data: view))
        case (.json, .text(let delta)): try OutputOptions.printJSONLine(Tagged(event: "text", data: delta))
        case (_, .text(let delta)): if showsText { write(delta) }
        case (_, .history): break
        case (_, .workflow(let view)): update(view)
        case (_, .end(let view)):
            update(view)
            finish(view)
        }
    }

    private struct Tagged<Data: Encodable>: Encodable {
        var event: String
        var data: Data
    }

    private mutating func update(_ view: WorkflowView) {
        let line = Self.statusLine(view) + Self.waitingLines(view, id: id)
        if style == .bar, view.status == .running, view.progress != nil, Self.waitingLines(view, id: id).isEmpty {
            if textLineOpen { return }  // never drawn over text being written
            // Redrawn in place: \r and "erase line", so a shorter line leaves nothing behind.
            print("\r\u{1B}[2K" + TerminalText.safe(Self.bar(view)), terminator: "")
            fflush(nil)
            barShown = true
            return
        }
        guard line != lastLine else { return }
        clearBar()
        terminalPrint(line)
        lastLine = line
    }

    private mutating func clearBar() {
        if textLineOpen {
            terminalPrint("")
            textLineOpen = false
        }
        guard barShown else { return }
        print("\r\u{1B}[2K", terminator: "")
        barShown = false
    }

    /// Model text, under a line that names its node, call and attempt (again after a
    /// status line came in between).
    private mutating func write(_ delta: TextDelta) {
        let call = "\(delta.node) \(delta.call), attempt \(delta.attempt)"
        if call != textCall || delta.restarted || !textLineOpen {
            clearBar()
            terminalPrint(delta.restarted && call == textCall ? "[\(call): begins again]" : "[\(call)]")
            textCall = call
        } else if barShown {
            print("\r\u{1B}[2K", terminator: "")
            barShown = false
        }
        terminalPrint(delta.text, terminator: "")
        textLineOpen = true
    }

    private mutating func finish(_ view: WorkflowView) {
        clearBar()
        if let markdown = view.result?["report"]?["markdown"]?.stringValue {
            terminalPrint(markdown)
        } else if let result = view.result {
            terminalPrint(result.compactText)
        }
        if let usage = view.usage?.total, usage.promptTokens + usage.completionTokens > 0 {
            terminalPrint(
                "model usage: \(usage.promptTokens) prompt + \(usage.completionTokens) completion tokens in \(usage.calls) calls, cost \(String(format: "%.6f", usage.cost))"
            )
        }
        if let error = view.error { terminalPrint("error: \(error.kind): \(error.message)") }
    }

    static func statusLine(_ view: WorkflowView) -> String {
        "\(view.status.rawValue) attempt=\(view.attempt) step=\(view.checkpointStep ?? 0)"
            + (view.progress?.node.map { " node=\($0)" } ?? "")
            + (view.progress?.percent.map { " \(TerminalText.wholeNumber($0))%" } ?? "")
            + (view.progress?.label.map { " – \($0)" } ?? "")
    }

    /// What a waiting workflow waits for, and how to answer it: the choice ids included.
    static func waitingLines(_ view: WorkflowView, id: String) -> String {
        guard view.status == .awaitingInput, let interrupt = view.interrupt else { return "" }
        if let child = interrupt["childWorkflowId"]?.stringValue {
            return "\n  waiting for child workflow \(child) (baton watch \(child))"
        }
        guard let question = interrupt["question"]?.stringValue else { return "" }
        var lines = "\n  waiting for an answer: \(question)"
        for choice in interrupt["choices"]?.arrayValue ?? [] {
            if let choiceId = choice["id"]?.stringValue {
                lines += "\n    --choice \(choiceId)  \(choice["label"]?.stringValue ?? "")"
            }
        }
        lines += "\n  answer with: baton answer \(id) --choice <id> [--text …]"
        return lines
    }

    static func bar(_ view: WorkflowView) -> String {
        // A worker's number: NaN would pass the clamp, and Int(NaN) stops the process.
        let reported = view.progress?.percent ?? 0
        let percent = reported.isFinite ? min(max(reported, 0), 100) : 0
        let filled = Int((percent / 5).rounded(.down))
        let phase = view.progress?.phase ?? view.progress?.node ?? ""
        let label = view.progress?.label.map { " – \($0)" } ?? ""
        let text =
            "[\(String(repeating: "#", count: filled))\(String(repeating: "-", count: 20 - filled))] \(TerminalText.wholeNumber(percent))% \(phase)\(label)"
        // One terminal line: a wrapped bar could not be redrawn in place.
        return text.count > 100 ? String(text.prefix(99)) + "…" : text
    }
}
