import Instrumentation

/// A trace's context as the headers that carry it between processes: W3C
/// `traceparent` and `tracestate`, as the bootstrapped instrument writes them.
///
/// Headers, not a live span, cross the outbox, the broker and the workers' events, so
/// that a context can be stored in a row and sent later by another task or replica.
/// With no tracer bootstrapped (tracing off) they are empty, and cost nothing.
public enum TraceHeaders {
    /// The headers of the task's current span; empty when there is none.
    public static func current() -> [String: String] {
        InstrumentationContext.current.map(inject) ?? [:]
    }

    public static func inject(_ context: InstrumentationContext) -> [String: String] {
        var headers: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &headers, using: DictionaryInjector())
        return headers
    }

    /// The context `headers` carry, as a parent for the spans that continue it; a
    /// top-level context when they carry none (or an unreadable one).
    public static func extract(_ headers: [String: String]) -> InstrumentationContext {
        var context = InstrumentationContext.topLevel
        guard !headers.isEmpty else { return context }
        InstrumentationSystem.instrument.extract(headers, into: &context, using: DictionaryExtractor())
        return context
    }

    /// The trace id a W3C `traceparent` names (`00-<32 hex>-<16 hex>-<2 hex>`), for log
    /// lines written outside the trace's spans; nil without one.
    public static func traceId(_ headers: [String: String]) -> String? {
        guard let parent = headers["traceparent"] else { return nil }
        let parts = parent.split(separator: "-")
        guard parts.count == 4, parts[1].count == 32, parts[1].allSatisfy(\.isHexDigit),
            parts[1].contains(where: { $0 != "0" })
        else { return nil }
        return String(parts[1]).lowercased()
    }

    /// Only the headers that carry a trace, from a message's or a request's headers.
    public static func filtered(_ headers: [String: String]) -> [String: String] {
        headers.filter { names.contains($0.key.lowercased()) }
    }

    static let names: Set<String> = ["traceparent", "tracestate", "baggage"]
}

struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}

struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key] ?? carrier.first { $0.key.lowercased() == key.lowercased() }?.value
    }
}
