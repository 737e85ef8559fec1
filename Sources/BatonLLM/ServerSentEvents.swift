import Foundation

/// Splits a server-sent event stream into the payloads of its `data:` lines, holding at
/// most `maxLineBytes` of an unfinished line: a server that never sends a newline must
/// not grow the buffer without end.
struct ServerSentEvents {
    let maxLineBytes: Int
    /// The start of a line whose newline has not arrived yet.
    private var pending = Data()

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// Each chunk is scanned once: the cost stays linear however the lines are cut.
    mutating func feed(_ data: Data) throws(LLMError) -> [String] {
        var payloads: [String] = []
        var lineStart = data.startIndex
        while let newline = data[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
            try admit(pending.count + (newline - lineStart))
            var line = pending
            line.append(data[lineStart..<newline])
            pending.removeAll(keepingCapacity: true)
            lineStart = data.index(after: newline)
            let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.hasPrefix("data:") {
                payloads.append(String(text.dropFirst(5)).trimmingCharacters(in: .whitespaces))
            }
        }
        try admit(pending.count + (data.endIndex - lineStart))
        pending.append(data[lineStart...])
        return payloads
    }

    private func admit(_ lineBytes: Int) throws(LLMError) {
        guard lineBytes > maxLineBytes else { return }
        throw LLMError(
            kind: .responseTooLarge,
            message:
                "a streamed event line is longer than \(maxLineBytes) bytes; the server does not stream "
                + "in small events as the chat-completions protocol does — check base_url points at an "
                + "OpenAI-compatible server", status: nil)
    }
}
