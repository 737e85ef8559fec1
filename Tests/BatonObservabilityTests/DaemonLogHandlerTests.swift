import BatonObservability
import Foundation
import Logging
import Testing

/// Issue #10 (13): a newline in a caller's name forged a `critical` line in both
/// daemons' logs; an OSC sequence retitled the operator's terminal. Issue #14: JSON
/// lines and logfmt for log stores, with the same guarantee.
@Suite struct DaemonLogHandlerTests {
    let forged = "alice\n2026-12-01T00:00:00 critical forged"
    let time = Date(timeIntervalSince1970: 1_764_633_600.25)  // 2025-12-02T00:00:00.250Z

    func line(_ message: String, _ metadata: Logger.Metadata = [:]) -> LogLine {
        LogLine(time: time, level: .info, label: "baton.worker", message: message, metadata: metadata)
    }

    @Test func controlCharactersBecomeVisibleEscapes() {
        #expect(LogLine.escape(forged) == "alice\\x0a2026-12-01T00:00:00 critical forged")
        #expect(LogLine.escape("\u{1B}]0;pwned\u{07}") == "\\x1b]0;pwned\\x07")
        #expect(LogLine.escape("evil\u{202E}txt") == "evil\\u{202e}txt")
        #expect(LogLine.escape("plain é 😀") == "plain é 😀")
    }

    @Test func jsonLinesAreOneObjectEachThatParsesBack() throws {
        let text = line(forged, ["workflow": "wf-1", "attempt": "2", "message": "clash", "tags": ["a", "b"]])
            .formatted(.json)
        #expect(!text.contains("\n"))
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["message"] as? String == forged)  // escaped, and read back as it was
        #expect(object["metadata.message"] as? String == "clash")
        #expect(object["time"] as? String == "2025-12-02T00:00:00.250Z")
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "baton.worker")
        #expect(object["workflow"] as? String == "wf-1")
        #expect(object["tags"] as? [String] == ["a", "b"])
        #expect(!line("\u{1B}]0;pwned\u{07}\u{2028}").formatted(.json).unicodeScalars.contains { $0.value < 0x20 })
    }

    @Test func logfmtQuotesWhatIsNotAWordAndKeepsOneLine() {
        let text = line(forged, ["workflow": "wf-1", "bad key": "a=b \"q\""]).formatted(.logfmt)
        #expect(!text.contains("\n"))
        #expect(text.hasPrefix("time=2025-12-02T00:00:00.250Z level=info label=baton.worker message=\"alice\\n2026"))
        #expect(text.contains(" workflow=wf-1"))
        #expect(text.contains(" bad_key=\"a=b \\\"q\\\"\""))
    }

    @Test func textKeepsTheStreamLogHandlerLayout() {
        let text = line(forged, ["workflow": "wf-1"]).formatted(.text)
        #expect(text.hasSuffix(" info baton.worker : workflow=wf-1 alice\\x0a2026-12-01T00:00:00 critical forged"))
    }
}
