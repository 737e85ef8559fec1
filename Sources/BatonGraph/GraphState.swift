import BatonContracts

/// A graph's state: a Codable value whose fields combine the updates of nodes that run
/// in the same super-step through per-field reducers (LangGraph's annotated channels).
///
/// Nodes receive the state and return it changed; the runtime turns each node's
/// changes into field writes and folds the writes of a step into the state with the
/// field's reducer, in a fixed order, so parallel branches merge deterministically.
public protocol GraphState: Codable, Sendable {
    /// Reducers by field name (the field's coding key); unlisted fields are replaced.
    static var reducers: [String: Reducer] { get }
}

extension GraphState {
    public static var reducers: [String: Reducer] { [:] }
}

/// How one field combines a write with its current value.
public struct Reducer: Sendable {
    /// The part of `output` that a node wrote, compared with the `input` it received.
    let write: @Sendable (_ input: JSONValue?, _ output: JSONValue) -> JSONValue
    /// The field's new value after `write` lands on `current`.
    let apply: @Sendable (_ current: JSONValue?, _ write: JSONValue) -> JSONValue
    /// A custom rule may not treat a lone writer's value as the result.
    var isCustom = false
    /// What `write` gives for a node that returned the list it received with `added` at
    /// its end, without comparing the two lists; nil where the rule has no such shortcut.
    var writeExtended: (@Sendable (_ added: [JSONValue]) -> JSONValue)? = nil

    /// The last write wins (writes land in task order).
    public static let replace = Reducer(write: { _, output in output }, apply: { _, write in write })

    /// Lists: the elements a node added are appended, so parallel appends all survive.
    /// A node that rewrote the list instead of extending it replaces it.
    public static let append = Reducer(
        write: { input, output in
            guard case .array(let before) = input, case .array(let after) = output, after.starts(with: before) else {
                return .object(["$replace": output])
            }
            return .array(Array(after.dropFirst(before.count)))
        },
        apply: { current, write in
            if case .object(let members) = write, let replacement = members["$replace"] { return replacement }
            guard case .array(let existing) = current, case .array(let added) = write else { return write }
            return .array(existing + added)
        },
        writeExtended: { added in .array(added) })

    /// Objects: the keys a node set or changed are merged into the current object, and
    /// the keys it removed are removed from it. As in JSON Merge Patch (RFC 7386), a
    /// removal travels as the key set to `null`, so a `null` member never lands in the
    /// object: a dictionary under `.merge` holds no null values (`[String: T?]` loses a
    /// key set to nil, which reads back as nil all the same).
    public static let merge = Reducer(
        write: { input, output in
            guard case .object(let before) = input, case .object(let after) = output else { return output }
            var changes = after.filter { before[$0.key] != $0.value }
            for key in before.keys where after[key] == nil { changes[key] = .null }
            return .object(changes)
        },
        apply: { current, write in
            guard case .object(let changes) = write else { return write }
            var merged = current?.objectValue ?? [:]
            for (key, value) in changes {
                if value == .null { merged.removeValue(forKey: key) } else { merged[key] = value }
            }
            return .object(merged)
        })

    /// Any rule: `combine(current, input, output)` gets the field's current value and
    /// the values the node received and returned (a counter: `current + output - input`);
    /// `output` is `null` when the node set the field to nil.
    public static func custom(
        _ combine: @escaping @Sendable (_ current: JSONValue?, _ input: JSONValue?, _ output: JSONValue) -> JSONValue
    ) -> Reducer {
        Reducer(
            write: { input, output in .object(["in": input ?? .null, "out": output]) },
            apply: { current, write in
                combine(current, write["in"].flatMap { $0 == .null ? nil : $0 }, write["out"] ?? .null)
            },
            isCustom: true)
    }
}
