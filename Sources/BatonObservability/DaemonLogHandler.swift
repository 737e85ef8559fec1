import Foundation
import Logging
import Synchronization

/// The daemons' log handler: one line per entry on standard output, in the configured
/// `LogFormat`, with outside text escaped (see `LogLine`).
public struct DaemonLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let format: LogFormat
    private static let output = Mutex(())

    public init(label: String, level: Logger.Level = .info, format: LogFormat = .text) {
        self.label = label
        self.logLevel = level
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line = LogLine(
            time: Date(), level: event.level, label: label, message: event.message.description, metadata: merged)
        let text = line.formatted(format) + "\n"
        Self.output.withLock { _ in
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
