import Foundation
import Tracing

/// A model call as a span of the attempt's trace, named and described by OpenTelemetry's
/// GenAI semantic conventions (`chat <model>`, `gen_ai.*`), so that a tracing backend
/// shows each call's model, tokens and outcome without knowing Baton.
///
/// The span covers the wait for a slot and the rate budget as well as the HTTP attempts
/// and their retries: that is how long the node waited for its answer.
enum ChatSpan {
    static func start(provider name: String, model: String, baseURL: String, streamed: Bool) -> any Span {
        let span = startSpan("chat \(model)", ofKind: .client)
        span.attributes["gen_ai.operation.name"] = "chat"
        // The API spoken; the configured provider's own name says which one.
        span.attributes["gen_ai.provider.name"] = "openai"
        span.attributes["gen_ai.request.model"] = model
        span.attributes["baton.llm.provider"] = name
        span.attributes["baton.llm.streamed"] = streamed
        if let url = URL(string: baseURL), let host = url.host {
            span.attributes["server.address"] = host
            if let port = url.port { span.attributes["server.port"] = port }
        }
        return span
    }

    static func finish(_ span: any Span, with response: ChatResponse) {
        span.attributes["gen_ai.usage.input_tokens"] = response.usage.promptTokens
        span.attributes["gen_ai.usage.output_tokens"] = response.usage.completionTokens
        if let reason = response.finishReason { span.attributes["gen_ai.response.finish_reasons"] = [reason] }
        span.attributes["baton.llm.http_attempts"] = response.attempts
        span.end()
    }

    static func finish(_ span: any Span, failedWith error: any Error) {
        let type =
            switch error {
            case let error as LLMError: error.kind.rawValue
            case is CancellationError: "cancelled"
            default: String(describing: Swift.type(of: error))
            }
        span.attributes["error.type"] = type
        if !(error is CancellationError) {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error, message: type))
        }
        span.end()
    }
}
