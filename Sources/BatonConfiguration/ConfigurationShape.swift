import Yams

/// The keys a configuration file may have, so that a misspelt key is reported instead
/// of silently ignored (a `postgress_url:` typo once fell back to the default port).
public indirect enum ConfigurationShape: Sendable {
    /// A mapping with exactly these keys (each optional), and what each holds.
    case keys([String: ConfigurationShape])
    /// A mapping from names the operator chooses (providers by name) to values of one shape.
    case dictionary(of: ConfigurationShape)
    /// A list whose items all have one shape (mappings with known keys).
    case list(of: ConfigurationShape)
    /// Anything: a scalar or a list.
    case value

    /// A mapping whose keys all hold plain values.
    public static func flat(_ keys: [String], except nested: [String: ConfigurationShape] = [:]) -> ConfigurationShape {
        .keys(Dictionary(uniqueKeysWithValues: keys.map { ($0, nested[$0] ?? .value) }))
    }

    /// The unknown keys of `node`, each with its line and the keys allowed there.
    func problems(in node: Node, path: String = "") -> [String] {
        switch (self, node) {
        case (.keys(let known), .mapping(let mapping)):
            return mapping.flatMap { key, value -> [String] in
                let name = key.string ?? "\(key)"
                let full = path.isEmpty ? name : "\(path).\(name)"
                guard let shape = known[name] else {
                    let line = key.mark.map { "line \($0.line): " } ?? ""
                    let suggestion = Self.closest(to: name, among: Array(known.keys)).map { " (did you mean '\($0)'?)" }
                    return [
                        "\(line)unknown key '\(full)'\(suggestion ?? ""); known keys\(path.isEmpty ? "" : " of '\(path)'"): \(known.keys.sorted().joined(separator: ", "))"
                    ]
                }
                return shape.problems(in: value, path: full)
            }
        case (.dictionary(let shape), .mapping(let mapping)):
            return mapping.flatMap { key, value in
                shape.problems(in: value, path: path.isEmpty ? (key.string ?? "") : "\(path).\(key.string ?? "")")
            }
        case (.list(let shape), .sequence(let sequence)):
            return sequence.enumerated().flatMap { index, item in shape.problems(in: item, path: "\(path)[\(index)]") }
        default:
            return []
        }
    }

    /// The node at `path` (mapping keys), if there is one.
    static func node(at path: [String], in node: Node) -> Node? {
        guard let first = path.first else { return node }
        guard case .mapping(let mapping) = node, let child = mapping[first] else { return nil }
        return Self.node(at: Array(path.dropFirst()), in: child)
    }

    /// `node` without the key at `path`; nil when there is no such key.
    static func removing(_ path: [String], from node: Node) -> Node? {
        guard let first = path.first, case .mapping(let mapping) = node else { return nil }
        var pairs: [(Node, Node)] = []
        var found = false
        for (key, value) in mapping {
            guard key.string == first else {
                pairs.append((key, value))
                continue
            }
            found = true
            if path.count > 1 {
                guard let inner = removing(Array(path.dropFirst()), from: value) else { return nil }
                pairs.append((key, inner))
            }
        }
        return found ? .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark)) : nil
    }

    /// The known key within two edits of `name`, if one is.
    static func closest(to name: String, among known: [String]) -> String? {
        known.map { ($0, editDistance(name, $0)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// A configuration that declares its shape, so that the loader can check its keys.
public protocol ShapedConfiguration: Decodable {
    static var shape: ConfigurationShape { get }
}
