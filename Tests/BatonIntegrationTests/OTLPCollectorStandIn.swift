import BatonContracts
import BatonScriptedLLM
import Foundation
import Hummingbird
import Synchronization

/// An OpenTelemetry collector's OTLP/HTTP traces endpoint, for tests: keeps the spans
/// of every `POST /v1/traces` (JSON encoding, `http/json`) and answers 200.
final class OTLPCollectorStandIn: Sendable {
    /// One exported span, with the ids as the exporter wrote them.
    struct Span: Sendable, Encodable, CustomStringConvertible {
        var service: String
        var name: String
        var kind: Int
        var traceId: String
        var spanId: String
        var parentSpanId: String
        var attributes: [String: JSONValue]
        var statusCode: Int
        var startNanoseconds: String
        var endNanoseconds: String

        var description: String { "\(service): \(name) (\(spanId) ← \(parentSpanId))" }

        func string(_ key: String) -> String? {
            attributes[key]?["stringValue"]?.stringValue
        }

        /// OTLP/JSON writes 64-bit integers as strings.
        func int(_ key: String) -> Int? {
            let value = attributes[key]?["intValue"]
            return value?.stringValue.flatMap { Int($0) } ?? value?.numberValue.map { Int($0) }
        }
    }

    private let spans = Mutex<[Span]>([])
    private let bodies = Mutex(0)

    var all: [Span] { spans.withLock { $0 } }
    var requests: Int { bodies.withLock { $0 } }

    func receive(_ body: Data) throws {
        let document = try JSONValue.parse(body, limits: .stored)
        var received: [Span] = []
        for resource in document["resourceSpans"]?.arrayValue ?? [] {
            let service =
                resource["resource"]?["attributes"]?.arrayValue?.first { $0["key"]?.stringValue == "service.name" }?[
                    "value"]?["stringValue"]?.stringValue ?? ""
            for scope in resource["scopeSpans"]?.arrayValue ?? [] {
                for span in scope["spans"]?.arrayValue ?? [] {
                    var attributes: [String: JSONValue] = [:]
                    for attribute in span["attributes"]?.arrayValue ?? [] {
                        if let key = attribute["key"]?.stringValue { attributes[key] = attribute["value"] ?? .null }
                    }
                    received.append(
                        Span(
                            service: service, name: span["name"]?.stringValue ?? "",
                            kind: Self.kind(span["kind"]), traceId: Self.hex(span["traceId"]),
                            spanId: Self.hex(span["spanId"]), parentSpanId: Self.hex(span["parentSpanId"]),
                            attributes: attributes, statusCode: Self.kind(span["status"]?["code"]),
                            startNanoseconds: Self.text(span["startTimeUnixNano"]),
                            endNanoseconds: Self.text(span["endTimeUnixNano"])))
                }
            }
        }
        spans.withLock { $0 += received }
        bodies.withLock { $0 += 1 }
    }

    /// A 64-bit number, as OTLP/JSON writes it (a string) or as a number.
    static func text(_ value: JSONValue?) -> String {
        value?.stringValue ?? value?.numberValue.map { String(format: "%.0f", $0) } ?? ""
    }

    /// OTLP/JSON asks for hex ids; protobuf's JSON mapping writes bytes in base64. Either reads.
    static func hex(_ value: JSONValue?) -> String {
        guard let text = value?.stringValue, !text.isEmpty else { return "" }
        if text.count % 16 == 0, text.allSatisfy(\.isHexDigit) { return text.lowercased() }
        guard let bytes = Data(base64Encoded: text) else { return text }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Enums are numbers in OTLP/JSON, or their names in protobuf's JSON mapping.
    static func kind(_ value: JSONValue?) -> Int {
        if let number = value?.numberValue { return Int(number) }
        let names = [
            "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT",
            "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER",
        ]
        if let name = value?.stringValue {
            if let index = names.firstIndex(of: name) { return index }
            return ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"].firstIndex(of: name) ?? -1
        }
        return 0
    }

    /// Serves the endpoint on a free loopback port for the duration of `body`, which
    /// gets the traces URL.
    static func with<Result: Sendable>(
        _ body: @Sendable (_ tracesURL: String, OTLPCollectorStandIn) async throws -> Result
    ) async throws -> Result {
        let collector = OTLPCollectorStandIn()
        let router = Router()
        router.post("v1/traces") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 64 << 20)
            try collector.receive(Data(buffer.readableBytesView))
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
        return try await LoopbackServer.with(router, label: "otlp-collector") { port in
            try await body("http://127.0.0.1:\(port)/v1/traces", collector)
        }
    }
}
