import BatonContracts
import Foundation
import Hummingbird

/// Serves an `LLMScript` as an OpenAI-compatible `/v1/chat/completions` endpoint, and
/// counts requests (`GET /stats`) so tests can prove that a resumed run did not call
/// the model again.
public actor ScriptedLLM {
    private let script: LLMScript
    private var uses: [Int] = []
    public private(set) var requests = 0

    public init(script: LLMScript) {
        self.script = script
        self.uses = Array(repeating: 0, count: script.rules.count)
    }

    public struct Answer: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data
        public var delay: Duration
        /// For a streamed request: the server-sent events to send one by one.
        public var events: [String]?
        /// The pause between two streamed events.
        public var eventInterval: Duration = .milliseconds(5)
    }

    /// `authorization` is the request's header, for rules that echo it.
    public func answer(_ body: Data, authorization: String? = nil) -> Answer {
        requests += 1
        let request = try? JSONDecoder().decode(JSONValue.self, from: body)
        let messages = request?["messages"]?.arrayValue ?? []
        let lastUser = messages.last { $0["role"] == "user" }?["content"]?.stringValue ?? ""
        let lastRole = messages.last?["role"]?.stringValue
        let lastTool = messages.last { $0["role"] == "tool" }?["content"]?.stringValue
        guard
            let index = script.rules.indices.first(where: { index in
                let rule = script.rules[index]
                let matches = rule.match.map { lastUser.localizedCaseInsensitiveContains($0) } ?? true
                let roleMatches = rule.lastRole.map { $0 == lastRole } ?? true
                return matches && roleMatches && (rule.times.map { uses[index] < $0 } ?? true)
            })
        else {
            return Answer(
                status: 500, headers: [:], body: Data(#"{"error": {"message": "no scripted rule matches"}}"#.utf8),
                delay: .zero, events: nil)
        }
        uses[index] += 1
        let rule = script.rules[index]
        let delay = Duration.milliseconds(rule.delayMs ?? 0)
        if let status = rule.status {
            var headers: [String: String] = [:]
            if let retryAfter = rule.retryAfter { headers["Retry-After"] = String(retryAfter) }
            if let retryAfter = rule.retryAfterHeader { headers["Retry-After"] = retryAfter }
            var message = "scripted failure \(status)"
            if rule.echoAuthorization == true { message += "; you sent Authorization: \(authorization ?? "nothing")" }
            let error: JSONValue = ["error": ["message": .string(message)]]
            let body = Data(error.compactText.utf8)
            return Answer(status: status, headers: headers, body: body, delay: delay, events: nil)
        }
        if let raw = rule.rawBody {
            return Answer(status: 200, headers: [:], body: Data(raw.utf8), delay: delay, events: nil)
        }
        var reply = rule.reply ?? LLMScript.Reply(content: "")
        reply.content = reply.content.map { Self.substitute($0, toolResult: lastTool) }
        if let times = rule.contentRepeat {
            reply.content = reply.content.map { String(repeating: $0, count: max(0, times)) }
        }
        let finishReason: JSONValue =
            rule.finishReason.map { .string($0) } ?? (reply.toolCalls == nil ? "stop" : "tool_calls")
        let toolCalls: JSONValue? = reply.toolCalls.map { calls in
            .array(
                calls.enumerated().map { index, call in
                    let arguments = call.arguments.compactText
                    return [
                        "id": .string("call_\(requests)_\(index)"), "type": "function",
                        "function": ["name": .string(call.name), "arguments": .string(arguments)],
                    ]
                })
        }
        var message: [String: JSONValue] = ["role": "assistant", "content": reply.content.map { .string($0) } ?? .null]
        if let toolCalls { message["tool_calls"] = toolCalls }
        let completion: JSONValue = [
            "id": .string("scripted-\(requests)"), "object": "chat.completion",
            "model": request?["model"] ?? "scripted",
            "choices": [
                ["index": 0, "message": .object(message), "finish_reason": finishReason]
            ],
            "usage": [
                "prompt_tokens": .number(Double(lastUser.split(separator: " ").count)),
                "completion_tokens": .number(Double((reply.content ?? "").split(separator: " ").count)),
            ],
        ]
        var events: [String]?
        if request?["stream"] == true {
            // One event per word, then the finish reason, the usage and [DONE], as OpenAI streams.
            let words = reply.content.map { $0.split(separator: " ", omittingEmptySubsequences: false) } ?? []
            events = words.enumerated().map { index, word in
                let piece = index == 0 ? String(word) : " " + word
                let chunk: JSONValue = ["choices": [["index": 0, "delta": ["content": .string(piece)]]]]
                return chunk.compactText
            }
            // Tool calls: the id and name first, then the arguments in two pieces.
            for (index, call) in (toolCalls?.arrayValue ?? []).enumerated() {
                let arguments = call["function"]?["arguments"]?.stringValue ?? "{}"
                let half = arguments.index(arguments.startIndex, offsetBy: arguments.count / 2)
                let pieces: [JSONValue] = [
                    [
                        "index": .number(Double(index)), "id": call["id"] ?? .null, "type": "function",
                        "function": ["name": call["function"]?["name"] ?? .null, "arguments": ""],
                    ],
                    ["index": .number(Double(index)), "function": ["arguments": .string(String(arguments[..<half]))]],
                    ["index": .number(Double(index)), "function": ["arguments": .string(String(arguments[half...]))]],
                ]
                for piece in pieces {
                    let chunk: JSONValue = ["choices": [["index": 0, "delta": ["tool_calls": [piece]]]]]
                    events?.append(chunk.compactText)
                }
            }
            let end: JSONValue = ["choices": [["index": 0, "delta": [:], "finish_reason": finishReason]]]
            events?.append(end.compactText)
            let usage: JSONValue = ["choices": [], "usage": completion["usage"] ?? .null]
            events?.append(usage.compactText)
            events?.append("[DONE]")
            if let cut = rule.streamCutAfter { events = Array(events?.prefix(max(0, cut)) ?? []) }
        }
        return Answer(
            status: 200, headers: [:], body: (try? JSONEncoder().encode(completion)) ?? Data(), delay: delay,
            events: events, eventInterval: .milliseconds(rule.eventIntervalMs ?? 5))
    }

    /// Fills `{{tool_result}}` and `{{tool_result.key}}` in a scripted reply.
    static func substitute(_ text: String, toolResult: String?) -> String {
        guard text.contains("{{tool_result"), let toolResult else { return text }
        var text = text.replacingOccurrences(of: "{{tool_result}}", with: toolResult)
        if case .object(let fields) = JSONValue(parsing: toolResult) {
            for (key, value) in fields {
                let rendered = value.stringValue ?? value.compactText
                text = text.replacingOccurrences(of: "{{tool_result.\(key)}}", with: rendered)
            }
        }
        return text
    }

    /// Uses of each rule so far, in script order.
    public var ruleUses: [Int] { uses }

    /// The HTTP routes: `POST /v1/chat/completions`, `GET /stats`.
    public nonisolated func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("v1/chat/completions") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 16 * 1024 * 1024)
            let answer = await self.answer(Data(buffer: body), authorization: request.headers[.authorization])
            if answer.delay > .zero { try await Task.sleep(for: answer.delay) }
            if let events = answer.events {
                return Response(
                    status: .ok, headers: [.contentType: "text/event-stream"],
                    body: ResponseBody { writer in
                        for event in events {
                            try await writer.write(ByteBuffer(string: "data: \(event)\n\n"))
                            if answer.eventInterval > .zero { try await Task.sleep(for: answer.eventInterval) }
                        }
                        try await writer.finish(nil)
                    })
            }
            var headers: HTTPFields = [.contentType: "application/json"]
            for (name, value) in answer.headers {
                if let field = HTTPFields.Iterator.Element.Name(name) { headers[field] = value }
            }
            return Response(
                status: .init(code: answer.status), headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
        router.get("stats") { _, _ -> Response in
            let count = await self.requests
            let uses = await self.ruleUses.map(String.init).joined(separator: ", ")
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"requests": \#(count), "rule_uses": [\#(uses)]}"#)))
        }
    }
}
