import Foundation
import Logging

/// One log entry, written as one line whatever it carries.
///
/// Messages and metadata carry outside text (a caller's name, a model's question, an
/// error from a server): written raw, a newline in it forges a log line of any level,
/// and an ANSI or OSC sequence rewrites the terminal of whoever tails the log. So every
/// format escapes control characters, line and paragraph separators and bidirectional
/// overrides: `text` as visible escapes, `json` by JSON's rules, `logfmt` inside quotes.
public struct LogLine: Sendable {
    public var time: Date
    public var level: Logger.Level
    public var label: String
    public var message: String
    public var metadata: Logger.Metadata

    public init(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) {
        self.time = time
        self.level = level
        self.label = label
        self.message = message
        self.metadata = metadata
    }

    /// The line, without its newline.
    public func formatted(_ format: LogFormat) -> String {
        let fields = metadata.sorted { $0.key < $1.key }
        switch format {
        case .text:
            let pairs = fields.map { "\(Self.escape($0.key))=\(Self.escape("\($0.value)"))" }
            let prefix = pairs.isEmpty ? "" : pairs.joined(separator: " ") + " "
            return "\(Self.localTimestamp(time)) \(level) \(label) : \(prefix)\(Self.escape(message))"
        case .json:
            // The entry's own keys come first and win; a metadata key that would clash
            // keeps its value under `metadata.<key>`.
            let own = ["time", "level", "label", "message"]
            var members = [
                ("time", Self.json(string: Self.utcTimestamp(time))), ("level", Self.json(string: "\(level)")),
                ("label", Self.json(string: label)), ("message", Self.json(string: message)),
            ]
            for (key, value) in fields {
                members.append((own.contains(key) ? "metadata.\(key)" : key, Self.json(value)))
            }
            return "{" + members.map { "\(Self.json(string: $0.0)):\($0.1)" }.joined(separator: ",") + "}"
        case .logfmt:
            var pairs = [
                "time=\(Self.utcTimestamp(time))", "level=\(level)", "label=\(Self.logfmt(label))",
                "message=\(Self.logfmt(message))",
            ]
            pairs += fields.map { "\(Self.logfmtKey($0.key))=\(Self.logfmt("\($0.value)"))" }
            return pairs.joined(separator: " ")
        }
    }

    // MARK: text

    /// C0 and C1 controls, DEL, separators and bidirectional overrides become visible escapes.
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

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    // MARK: json

    static func json(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): json(string: text)
        case .stringConvertible(let convertible): json(string: convertible.description)
        case .array(let values): "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let members):
            "{"
                + members.sorted { $0.key < $1.key }.map { "\(json(string: $0.key)):\(json($0.value))" }
                .joined(separator: ",") + "}"
        }
    }

    static func json(string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if needsEscape(scalar) {
                    result += String(format: "\\u%04x", scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    // MARK: logfmt

    /// Bare when it is a plain word; otherwise quoted, with quotes, backslashes and
    /// controls escaped.
    static func logfmt(_ value: String) -> String {
        let plain =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy {
                !needsEscape($0) && $0 != " " && $0 != "\"" && $0 != "=" && $0 != "\\"
            }
        return plain ? value : json(string: value)
    }

    /// Keys are bare words: anything else becomes `_`.
    static func logfmtKey(_ key: String) -> String {
        let cleaned = String(
            key.unicodeScalars.map { scalar -> Character in
                needsEscape(scalar) || scalar == " " || scalar == "=" || scalar == "\"" ? "_" : Character(scalar)
            })
        return cleaned.isEmpty ? "_" : cleaned
    }

    // MARK: time

    private static func localTimestamp(_ date: Date) -> String {
        var now = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// RFC 3339 in UTC with milliseconds, as log stores sort and parse it.
    static func utcTimestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        let milliseconds = Int((seconds - Double(whole)) * 1000)
        var parts = tm()
        gmtime_r(&whole, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        let base = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return base + String(format: ".%03dZ", min(999, max(0, milliseconds)))
    }
}
