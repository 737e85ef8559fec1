import BatonContracts
import BatonFuzzMutations
import BatonScriptedLLM
import Foundation
import Testing

@testable import BatonLLM

/// Seeded fuzzing of the streamed-answer reader (CI's share; `make fuzz` runs libFuzzer
/// on the same properties): OpenAI-style streams cut into random chunks, with lines
/// dropped, repeated and reordered, bytes flipped, lines too long and invalid UTF-8.
@Suite struct ChatStreamFuzzTests {
    static let seeds: [UInt64] = [1, 2, 3, 0x55E, 20_261_201]

    /// The lines of a well-formed stream: text deltas, a tool call in pieces, the
    /// finish reason, usage and `[DONE]`, each event followed by an empty line.
    static func validStream(_ random: inout SeededGenerator) -> [String] {
        var events: [JSONValue] = []
        for word in ["the", " audit", " found", " é", " 💥"].prefix(1 + random.below(5)) {
            events.append(["choices": [["index": 0, "delta": ["content": .string(word)]]]])
        }
        if random.below(2) == 0 {
            let pieces: [JSONValue] = [
                ["index": 0, "id": "call_1", "function": ["name": "get_kpis", "arguments": ""]],
                ["index": 0, "function": ["arguments": "{\"area\":"]],
                ["index": 0, "function": ["arguments": "\"logistics\"}"]],
            ]
            events += pieces.map { ["choices": [["index": 0, "delta": ["tool_calls": [$0]]]]] }
        }
        events.append(["choices": [["index": 0, "delta": [:], "finish_reason": "stop"]]])
        events.append(["choices": [], "usage": ["prompt_tokens": 3, "completion_tokens": 5]])
        var lines = events.flatMap { ["data: \($0.compactText)", ""] }
        lines += ["data: [DONE]", ""]
        return lines
    }

    static let oddLines = [
        "data: {", "data: nul", "data: {\"choices\": 5}",
        "data: {\"choices\": [{\"delta\": {\"tool_calls\": [{\"index\": 1e308}]}}]}",
        "data: {\"choices\": [{\"delta\": {\"tool_calls\": [{\"index\": -1e308, \"function\": {\"name\": 7}}]}}]}",
        "data: {\"usage\": {\"prompt_tokens\": -1e308, \"completion_tokens\": 1e308}}", ": comment", "event: message",
        "retry: 10", "data:", "data: [DONE", "data: \u{0}", "id: 1", "data: \(String(repeating: "x", count: 5_000))",
    ]

    /// A mutated stream as bytes: lines dropped, repeated, swapped or replaced; then a few byte edits.
    static func mutatedStream(_ random: inout SeededGenerator) -> Data {
        var lines = validStream(&random)
        for _ in 0..<random.below(4) {
            let index = random.below(lines.count)
            switch random.below(5) {
            case 0: lines.remove(at: index)
            case 1: lines.insert(lines[index], at: index)
            case 2: lines.swapAt(index, random.below(lines.count))
            default: lines[index] = oddLines[random.below(oddLines.count)]
            }
        }
        var bytes = Array(lines.joined(separator: random.below(4) == 0 ? "\r\n" : "\n").utf8)
        for _ in 0..<random.below(3) where !bytes.isEmpty {
            let index = random.below(bytes.count)
            switch random.below(4) {
            case 0: bytes[index] ^= UInt8(1 << random.below(8))
            case 1: bytes = Array(bytes.prefix(index))  // the connection drops
            case 2: bytes.insert([0xC3, 0xFF, 0x00, 0x80][random.below(4)], at: index)
            default: bytes.remove(at: index)
            }
        }
        return Data(bytes)
    }

    static func payloads(of chunks: [Data], maxLineBytes: Int) -> [String]? {
        var events = ServerSentEvents(maxLineBytes: maxLineBytes)
        var payloads: [String] = []
        do throws(LLMError) {
            for chunk in chunks { payloads += try events.feed(chunk) }
        } catch {
            #expect(error.kind == .responseTooLarge)
            return nil
        }
        return payloads
    }

    /// However the network cuts the stream (mid-line, mid-character, mid-CRLF), the
    /// reader yields what it yields for the stream in one piece.
    @Test(arguments: seeds) func cuttingAStreamAnywhereChangesNothing(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        for index in 0..<300 {
            let body = Self.mutatedStream(&random)
            let maxLineBytes = [64, 4_096, LLMProvider.defaultMaxEventBytes][random.below(3)]
            var cuts = (0..<random.below(12)).map { _ in random.below(body.count + 1) }.sorted()
            if random.below(4) == 0 { cuts = Array(0...body.count) }  // byte by byte
            var chunks: [Data] = []
            var start = 0
            for cut in cuts + [body.count] {
                chunks.append(body.subdata(in: start..<cut))
                start = cut
            }
            let whole = Self.payloads(of: [body], maxLineBytes: maxLineBytes)
            #expect(Self.payloads(of: chunks, maxLineBytes: maxLineBytes) == whole, "seed \(seed) stream \(index)")
        }
    }

    /// The tool call's pieces assemble to the same call however they were cut.
    @Test func toolCallPiecesAssembleWhateverTheCuts() throws {
        var random = SeededGenerator(seed: 42)
        var lines: [String] = []
        while !lines.contains(where: { $0.contains("tool_calls") }) { lines = Self.validStream(&random) }
        let body = Data(lines.joined(separator: "\n").utf8)
        for _ in 0..<100 {
            var chunks: [Data] = []
            var start = 0
            for cut in (0..<random.below(20)).map({ _ in random.below(body.count + 1) }).sorted() + [body.count] {
                chunks.append(body.subdata(in: start..<cut))
                start = cut
            }
            var calls = StreamedToolCalls()
            for payload in try #require(Self.payloads(of: chunks, maxLineBytes: 4_096)) where payload != "[DONE]" {
                let event = try #require(JSONValue(parsing: payload))
                for piece in event["choices"]?.arrayValue?.first?["delta"]?["tool_calls"]?.arrayValue ?? [] {
                    calls.add(piece)
                }
            }
            #expect(calls.assembled.map(\.function.name) == ["get_kpis"])
            #expect(calls.assembled.first?.function.parsedArguments == ["area": "logistics"])
        }
    }

    /// Through the real client and libcurl: every mutated stream either completes with
    /// exactly the text it showed, or fails with an `LLMError` — no trap, no hang,
    /// no other error.
    @Test func mutatedStreamsCompleteWithWhatTheyShowedOrFailClearly() async throws {
        var random = SeededGenerator(seed: 20_261_201)
        let bodies = (0..<40).map { _ in Self.mutatedStream(&random) }
        let rules = bodies.enumerated().map { index, body in
            LLMScript.Rule(match: "<case-\(1_000 + index)>", times: 1, rawBody: String(decoding: body, as: UTF8.self))
        }
        try await ScriptedLLM.withServer(rules) { url, _ in
            let client = ChatCompletionClientTests.client(url, timeout: .seconds(5), retries: 0)
            var completed = 0
            for index in bodies.indices {
                let (deltas, result) = await ChatStreamingTests.collect(
                    client, ChatRequest(messages: [.user("<case-\(1_000 + index)>")]))
                switch result {
                case .success(let response):
                    completed += 1
                    #expect((response.message.content ?? "") == deltas.joined(), "stream \(index)")
                case .failure(let error):
                    #expect(error is LLMError, "stream \(index): \(error)")
                }
            }
            #expect(completed > 0)
        }
    }
}
