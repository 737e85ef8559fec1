/// Text from the scheduler — workflow ids, callers, agents' questions and reports, a
/// model's words — made safe to print on a terminal.
///
/// Such text comes from anyone who can submit a workflow or answer as a model: written
/// raw, an ANSI or OSC sequence in it (`ESC ]0;…BEL`) retitles or rewrites the
/// operator's terminal, and a carriage return hides what came before it. C0 controls
/// other than newline and tab, DEL, C1 controls (which terminals read as escape
/// sequences too) and bidirectional overrides are shown as visible escapes instead.
public enum TerminalText {
    public static func safe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: false
        case 0..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// A whole-number rendering of an outside number (a progress percent), never a trap.
    public static func wholeNumber(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e15 else { return "?" }
        return String(Int64(value.rounded(.down)))
    }
}
