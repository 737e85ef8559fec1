import BatonSchedulerClient
import Testing

/// Issue #10 (13): an OSC sequence in `caller` came out raw in `baton list`, and so
/// would one in a report (`watch`) or a model's answer (`chat`).
@Suite struct TerminalTextTests {
    @Test func escapeSequencesAreShownNotObeyed() {
        #expect(TerminalText.safe("\u{1B}]0;pwned\u{07}alice") == "\\u{1b}]0;pwned\\u{7}alice")
        #expect(TerminalText.safe("ok\rforged") == "ok\\u{d}forged")
        #expect(TerminalText.safe("\u{9B}31m") == "\\u{9b}31m")  // C1 CSI
        #expect(TerminalText.safe("txt\u{202E}exe") == "txt\\u{202e}exe")
    }

    @Test func ordinaryTextIsLeftAlone() {
        let report = "# Report\n\n| a | b |\n|---|---|\n| é | 😀 |\tend"
        #expect(TerminalText.safe(report) == report)
    }

    @Test func outsideNumbersNeverTrap() {
        #expect(TerminalText.wholeNumber(42.7) == "42")
        #expect(TerminalText.wholeNumber(.nan) == "?")
        #expect(TerminalText.wholeNumber(1e20) == "?")
        #expect(TerminalText.wholeNumber(-.infinity) == "?")
    }
}
