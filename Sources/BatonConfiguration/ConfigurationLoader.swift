import Foundation
import Synchronization
import Yams

/// Reads a YAML configuration file into a `Decodable` value, then applies
/// `BATON_*` environment overrides and validates the result, all before start.
public enum ConfigurationLoader {
    /// Decodes `path` (missing file is an error naming it). Keys are snake_case in YAML.
    public static func load<Configuration: Decodable>(
        _: Configuration.Type, from path: String
    ) throws(ConfigurationError)
        -> Configuration
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(
                source: path, problems: ["the file cannot be read; pass --config with the path of a YAML file"])
        }
        return try decode(Configuration.self, yaml: String(decoding: data, as: UTF8.self), source: path)
    }

    /// Decodes YAML text; `source` names it in errors. Every problem is reported at
    /// once: unknown keys (for a `ShapedConfiguration`), and every value of the wrong
    /// type — after each, the value is set aside and decoding tries again, so that the
    /// next one is found too — each with its line.
    public static func decode<Configuration: Decodable>(
        _: Configuration.Type, yaml: String, source: String
    ) throws(ConfigurationError) -> Configuration {
        var node: Node
        do {
            guard let composed = try Yams.compose(yaml: yaml) else {
                return try decodeOrExplain(Configuration.self, from: Node.mapping(Node.Mapping([])), source: source)
            }
            node = composed
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(source: source, problems: ["not valid YAML: \(error)"])
        }
        var problems: [String] = []
        if let shaped = Configuration.self as? any ShapedConfiguration.Type {
            problems += shaped.shape.problems(in: node)
        }
        for _ in 0..<100 {
            do {
                let value = try YAMLDecoder().decode(Configuration.self, from: node)
                if !problems.isEmpty { throw ConfigurationError(source: source, problems: problems) }
                return value
            } catch let error as ConfigurationError {
                throw error
            } catch let error as DecodingError {
                let path = keyPath(of: error)
                let line = ConfigurationShape.node(at: path, in: node)?.mark.map { "line \($0.line): " } ?? ""
                problems.append(line + describe(error))
                guard case .typeMismatch = error, !path.isEmpty,
                    let remaining = ConfigurationShape.removing(path, from: node)
                else { break }
                node = remaining
            } catch {
                problems.append("not valid YAML: \(error)")
                break
            }
        }
        throw ConfigurationError(source: source, problems: problems)
    }

    private static func decodeOrExplain<Configuration: Decodable>(
        _: Configuration.Type, from node: Node, source: String
    ) throws -> Configuration {
        do {
            return try YAMLDecoder().decode(Configuration.self, from: node)
        } catch let error as DecodingError {
            throw ConfigurationError(source: source, problems: [describe(error)])
        }
    }

    /// The mapping keys leading to the value an error is about.
    private static func keyPath(of error: DecodingError) -> [String] {
        let context: DecodingError.Context
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): context = c
        case .keyNotFound(_, let c): context = c
        @unknown default: return []
        }
        // A wrong element of a list sets the whole list aside.
        return Array(context.codingPath.prefix { $0.intValue == nil }.map(\.stringValue))
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "missing key '\(parent.isEmpty ? "" : parent + ".")\(key.stringValue)'"
        case .typeMismatch(let type, let context):
            return "'\(path(context))' should be \(type)"
        case .valueNotFound(let type, let context):
            return "'\(path(context))' is empty, expected \(type)"
        case .dataCorrupted(let context):
            return "'\(path(context))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// Collects validation problems so that all of them are reported at once.
public struct ConfigurationValidator {
    public private(set) var problems: [String] = []

    public init() {}

    public mutating func require(_ condition: Bool, _ problem: @autoclosure () -> String) {
        if !condition { problems.append(problem()) }
    }

    public func check(source: String) throws(ConfigurationError) {
        if !problems.isEmpty { throw ConfigurationError(source: source, problems: problems) }
    }
}

/// Environment overrides: `BATON_AMQP_URL=…` beats the file, so secrets and ports
/// need not be written into it. Every variable can instead be read from a file that
/// `NAME_FILE` names (the convention of Docker's and Kubernetes' secrets): a password
/// then lives in a mounted secret, not in the environment or the YAML.
public struct EnvironmentOverrides: Sendable {
    public let values: [String: String]
    private let asked = AskedNames()

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    /// `name`'s value, or the text of the file `name_FILE` names without its final line break.
    public func string(_ name: String) throws(ConfigurationError) -> String? {
        let fileVariable = name + "_FILE"
        asked.names.withLock { _ = $0.formUnion([name, fileVariable]) }
        let value = values[name].flatMap { $0.isEmpty ? nil : $0 }
        guard let path = values[fileVariable], !path.isEmpty else { return value }
        guard value == nil else {
            throw ConfigurationError(
                source: "environment", problems: ["both \(name) and \(fileVariable) are set; keep one"])
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(
                source: "environment",
                problems: ["\(fileVariable)='\(path)' cannot be read; mount the secret there or unset \(fileVariable)"])
        }
        var text = String(decoding: data, as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        guard !text.isEmpty else {
            throw ConfigurationError(source: "environment", problems: ["\(fileVariable)='\(path)' is empty"])
        }
        return text
    }

    /// The `BATON_…` variables set that no setting has asked for: a misspelt name, or
    /// one meant for another program. Daemons warn about them at start.
    public var unaskedBatonVariables: [String] {
        let asked = asked.names.withLock { $0 }
        return values.keys.filter { $0.hasPrefix("BATON_") && !asked.contains($0) }.sorted()
    }

    public func int(_ name: String) throws(ConfigurationError) -> Int? {
        guard let text = try string(name) else { return nil }
        guard let value = Int(text) else {
            throw ConfigurationError(source: "environment", problems: ["\(name)='\(text)' is not an integer"])
        }
        return value
    }

    public func bool(_ name: String) throws(ConfigurationError) -> Bool? {
        guard let text = try string(name) else { return nil }
        switch text.lowercased() {
        case "true", "on", "yes", "1": return true
        case "false", "off", "no", "0": return false
        default:
            throw ConfigurationError(source: "environment", problems: ["\(name)='\(text)' is not true or false"])
        }
    }

    public func double(_ name: String) throws(ConfigurationError) -> Double? {
        guard let text = try string(name) else { return nil }
        guard let value = Double(text) else {
            throw ConfigurationError(source: "environment", problems: ["\(name)='\(text)' is not a number"])
        }
        return value
    }
}

private final class AskedNames: Sendable {
    let names = Mutex<Set<String>>([])
}
