import BatonContracts
import BatonFuzzSupport
import Foundation

@testable import BatonLLM

/// Reads the fuzzer's bytes as a server-sent event stream and how the network cut it:
/// a line limit, cut points, a reordering of its lines, then the body. Properties:
/// - however the body is cut into chunks, `ServerSentEvents` yields the same payloads
///   (and refuses an over-long line either way) as for the body in one chunk;
/// - assembling the payloads as the streamed client does (JSON events, text deltas,
///   tool-call pieces by index, usage counts) never traps, whatever the order of the lines.
enum StreamCuts {
    static let target = "llm-stream"
    /// Line limit, up to 15 cut points of two bytes, four swaps: the body follows.
    static let header = 40

    static func check(_ data: Data) {
        var input = FuzzInput(Array(data.prefix(header)))
        let maxLineBytes = input.element(of: [16, 256, 4096, LLMProvider.defaultMaxEventBytes])
        var cuts = (0..<input.choose(16)).map { _ in Int(input.byte()) << 8 | Int(input.byte()) }
        let shuffle = (0..<4).map { _ in input.byte() }
        let body = Data(data.dropFirst(header))
        cuts = cuts.map { body.isEmpty ? 0 : $0 % (body.count + 1) }.sorted()

        let whole = payloads(of: [body], maxLineBytes: maxLineBytes)
        var chunks: [Data] = []
        var start = 0
        for cut in cuts + [body.count] {
            chunks.append(body.subdata(in: start..<cut))
            start = cut
        }
        let cut = payloads(of: chunks, maxLineBytes: maxLineBytes)
        FuzzViolation.check(
            whole == cut, target,
            "cut at \(cuts) the stream reads \(String(describing: cut)), whole \(String(describing: whole))")
        if let payloads = whole { assemble(payloads) }

        // Lines reordered (a proxy that buffers badly, or a fuzzed server): nothing may trap.
        var lines = body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (offset, byte) in shuffle.enumerated() where lines.count > 1 {
            lines.swapAt(offset % lines.count, Int(byte) % lines.count)
        }
        let reordered = Data(lines.joined(separator: [UInt8(ascii: "\n")]))
        if let payloads = payloads(of: [reordered], maxLineBytes: maxLineBytes) { assemble(payloads) }
    }

    /// The payloads of the stream fed chunk by chunk; nil when the reader refused it.
    static func payloads(of chunks: [Data], maxLineBytes: Int) -> [String]? {
        var events = ServerSentEvents(maxLineBytes: maxLineBytes)
        var payloads: [String] = []
        do throws(LLMError) {
            for chunk in chunks { payloads += try events.feed(chunk) }
        } catch {
            FuzzViolation.check(error.kind == .responseTooLarge, target, "unexpected refusal \(error)")
            return nil
        }
        return payloads
    }

    /// What `StreamedAnswer.feed` does with each payload (it is private to the client):
    /// the same calls into the same parsers.
    static func assemble(_ payloads: [String]) {
        var text = ""
        var toolCalls = StreamedToolCalls()
        var usage = TokenUsage(calls: 1)
        for payload in payloads {
            if payload == "[DONE]" { break }
            guard let event = JSONValue(parsing: payload) else { continue }
            let choice = event["choices"]?.arrayValue?.first
            if let piece = choice?["delta"]?["content"]?.stringValue { text += piece }
            for piece in choice?["delta"]?["tool_calls"]?.arrayValue ?? [] { toolCalls.add(piece) }
            if let counts = event["usage"], counts != .null { usage = ChatCompletionClient.tokenUsage(counts) }
        }
        FuzzViolation.check(
            (0...TokenCount.largest).contains(usage.promptTokens)
                && (0...TokenCount.largest).contains(usage.completionTokens), target, "usage out of range: \(usage)")
        for call in toolCalls.assembled { _ = call.function.parsedArguments }
        _ = text.count
    }
}
