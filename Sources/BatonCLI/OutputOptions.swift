import ArgumentParser
import Foundation

/// `--json`, on every command that prints something a program may want to read.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of text, for programs.")
    var json = false

    /// `value` as indented JSON with sorted keys (dates in ISO 8601).
    func printJSON(_ value: some Encodable) throws {
        terminalPrint(String(decoding: try Self.pretty.encode(value), as: UTF8.self))
    }

    /// `value` as one line of JSON: for streams (`watch --json`), one line per event.
    static func printJSONLine(_ value: some Encodable) throws {
        terminalPrint(String(decoding: try compact.encode(value), as: UTF8.self))
    }

    private static let pretty: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    private static let compact: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
}
