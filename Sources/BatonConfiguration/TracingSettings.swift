/// `tracing:`, which both daemons take: where spans go (OTLP over HTTP), how many
/// traces are kept. Off unless an endpoint is set (`otlp_endpoint`, or the standard
/// `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`).
public struct TracingSettings: Sendable, Codable, Equatable {
    /// The collector's OTLP/HTTP traces URL, e.g. `http://otel-collector:4318/v1/traces`.
    public var otlpEndpoint: String?
    /// `http/protobuf` (OTLP's default) or `http/json`.
    public var otlpProtocol: String
    /// The share of new traces kept, 0 to 1; a trace continued from a caller keeps the
    /// caller's decision (parent-based sampling).
    public var sampleRatio: Double
    /// `service.name` of the spans; the daemon's own name when unset.
    public var serviceName: String?

    public static let protocols = ["http/protobuf", "http/json"]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case otlpEndpoint = "otlp_endpoint"
        case otlpProtocol = "protocol"
        case sampleRatio = "sample_ratio"
        case serviceName = "service_name"
    }

    public static var keys: [String] { CodingKeys.allCases.map(\.rawValue) }

    public init(
        otlpEndpoint: String? = nil, otlpProtocol: String = "http/protobuf", sampleRatio: Double = 1,
        serviceName: String? = nil
    ) {
        self.otlpEndpoint = otlpEndpoint
        self.otlpProtocol = otlpProtocol
        self.sampleRatio = sampleRatio
        self.serviceName = serviceName
    }

    public init(from decoder: any Decoder) throws {
        let defaults = TracingSettings()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        otlpEndpoint = try container.decodeIfPresent(String.self, forKey: .otlpEndpoint)
        otlpProtocol = try container.decodeIfPresent(String.self, forKey: .otlpProtocol) ?? defaults.otlpProtocol
        sampleRatio = try container.decodeIfPresent(Double.self, forKey: .sampleRatio) ?? defaults.sampleRatio
        serviceName = try container.decodeIfPresent(String.self, forKey: .serviceName)
    }

    /// `BATON_TRACING_OTLP_ENDPOINT`, `BATON_TRACING_PROTOCOL` and `BATON_TRACING_SAMPLE_RATIO`
    /// override the file; the standard `OTEL_*` variables are read by the exporter itself.
    public mutating func apply(_ environment: EnvironmentOverrides) throws(ConfigurationError) {
        if let value = try environment.string("BATON_TRACING_OTLP_ENDPOINT") { otlpEndpoint = value }
        if let value = try environment.string("BATON_TRACING_PROTOCOL") { otlpProtocol = value }
        if let value = try environment.double("BATON_TRACING_SAMPLE_RATIO") { sampleRatio = value }
    }

    /// Whether spans are exported: an endpoint is set here or in the standard variables.
    public func isEnabled(environment: [String: String]) -> Bool {
        otlpEndpoint != nil || environment["OTEL_EXPORTER_OTLP_ENDPOINT"] != nil
            || environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] != nil
    }

    public func check(into validator: inout ConfigurationValidator) {
        if let otlpEndpoint {
            validator.require(
                otlpEndpoint.hasPrefix("http://") || otlpEndpoint.hasPrefix("https://"),
                "tracing.otlp_endpoint must be an http:// or https:// URL (OTLP over HTTP), got '\(otlpEndpoint)'")
        }
        validator.require(
            Self.protocols.contains(otlpProtocol),
            "tracing.protocol must be one of \(Self.protocols.joined(separator: ", ")), got '\(otlpProtocol)' (OTLP over gRPC is not built in)"
        )
        validator.require(
            sampleRatio.isFinite && (0...1).contains(sampleRatio),
            "tracing.sample_ratio must be between 0 and 1, got \(sampleRatio)")
    }
}
