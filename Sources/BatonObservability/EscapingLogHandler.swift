import Foundation
import Logging
import Synchronization

/// A line-per-entry log handler for the daemons' standard output that escapes control
/// characters in messages and metadata.
///
/// Messages and metadata carry outside text (a caller's name, a model's question, an
/// error from a server): written raw, a newline in it forges a log line of any level,
/// and an ANSI or OSC sequence rewrites the terminal of whoever tails the log. Same
/// layout as swift-log's `StreamLogHandler`: `time level label : key=value message`.
public struct EscapingLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private static let output = Mutex(())

    public init(label: String, level: Logger.Level = .info) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let fields = merged.sorted { $0.key < $1.key }.map { "\(Self.escape($0.key))=\(Self.escape("\($0.value)"))" }
        let prefix = fields.isEmpty ? "" : fields.joined(separator: " ") + " "
        let line =
            "\(Self.timestamp()) \(event.level) \(label) : \(prefix)\(Self.escape(event.message.description))\n"
        Self.output.withLock { _ in
            FileHandle.standardOutput.write(Data(line.utf8))
        }
    }

    /// C0 and C1 controls, DEL and bidirectional overrides become visible escapes.
    public static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                result +=
                    scalar.value < 0x100
                    ? "\\x" + String(format: "%02x", scalar.value) : "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    private static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
