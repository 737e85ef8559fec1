import BatonObservability
import Testing

/// Issue #10 (13): a newline in a caller's name forged a `critical` line in both
/// daemons' logs; an OSC sequence retitled the operator's terminal.
@Suite struct EscapingLogHandlerTests {
    @Test func controlCharactersBecomeVisibleEscapes() {
        #expect(
            EscapingLogHandler.escape("alice\n2026-12-01T00:00:00 critical forged")
                == "alice\\x0a2026-12-01T00:00:00 critical forged")
        #expect(EscapingLogHandler.escape("\u{1B}]0;pwned\u{07}") == "\\x1b]0;pwned\\x07")
        #expect(EscapingLogHandler.escape("evil\u{202E}txt") == "evil\\u{202e}txt")
        #expect(EscapingLogHandler.escape("plain é 😀") == "plain é 😀")
    }
}
