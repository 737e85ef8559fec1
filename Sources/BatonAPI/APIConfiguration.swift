import OpenAPIRuntime

/// How both ends of the API encode bodies; the operations, `APIProtocol` (what the
/// scheduler implements) and `Client` (what the CLI, the assistant and workers call)
/// are generated from docs/openapi.yaml at build time.
public enum APIConfiguration {
    /// Compact JSON with sorted keys: the answers are read by programs, and equal
    /// values are equal bytes. Slashes stay as they are: JSON pointers, paths and URLs
    /// in messages read as written.
    public static let runtime = Configuration(jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes])
}
