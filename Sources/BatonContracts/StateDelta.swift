/// The change from one checkpoint's graph state to the next, field by top-level field:
/// what a checkpoint carries instead of its whole state when that is smaller, and what
/// the scheduler stores (see docs/architecture.md, "Checkpoints store what changed").
///
/// It knows nothing of graphs: `between(_:_:)` compares two JSON values. A field whose
/// array grew at its end (a conversation, a list of step records) becomes an `append`
/// of the new items, any other changed field a `set`, a missing one a `remove`; a state
/// that is not an object on both sides is replaced whole.
///
/// The wire form is an array of changes:
/// `[{"op": "append", "field": "steps", "items": […]}, {"op": "set", "field": "n", "value": 3},
///   {"op": "remove", "field": "draft"}, {"op": "replace", "value": …}]`.
public struct StateDelta: Sendable, Hashable, Codable {
    public enum Change: Sendable, Hashable {
        /// The whole state becomes `value`.
        case replace(JSONValue)
        case set(field: String, value: JSONValue)
        case remove(field: String)
        /// `items` added at the end of the array in `field`.
        case append(field: String, items: [JSONValue])
    }

    /// Applied in order.
    public var changes: [Change]

    public init(_ changes: [Change] = []) {
        self.changes = changes
    }

    /// What turns `old` into `new`: `applied(to: old) == new`. Fields come in name order,
    /// so the same states give the same delta.
    public static func between(_ old: JSONValue, _ new: JSONValue) -> StateDelta {
        guard case .object(let before) = old, case .object(let after) = new else {
            return old == new ? StateDelta() : StateDelta([.replace(new)])
        }
        return between(before, after, fields: Set(before.keys).union(after.keys))
    }

    /// `between(old, new)` when only `fields` may differ (a graph step knows the fields it
    /// wrote): the others are not compared, so the delta costs what changed, not the size
    /// of the state.
    public static func between(_ old: JSONValue, _ new: JSONValue, fields: some Sequence<String>) -> StateDelta {
        guard case .object(let before) = old, case .object(let after) = new else { return between(old, new) }
        return between(before, after, fields: Set(fields))
    }

    private static func between(
        _ before: [String: JSONValue], _ after: [String: JSONValue], fields: Set<String>
    ) -> StateDelta {
        var changes: [String: Change] = [:]
        for field in fields {
            changes[field] = change(ofField: field, from: before[field], to: after[field])
        }
        return StateDelta(byField: changes)
    }

    /// How the top-level `field` went from `old` to `new` (nil: absent), as `between`
    /// tells it: removed, extended at its end (an array that starts with the old one's
    /// items), or set; nil when it did not change.
    public static func change(ofField field: String, from old: JSONValue?, to new: JSONValue?) -> Change? {
        guard let new else { return old == nil ? nil : .remove(field: field) }
        guard let old else { return .set(field: field, value: new) }
        if case .array(let was) = old, case .array(let now) = new, now.extends(was) {
            return now.count > was.count ? .append(field: field, items: Array(now[was.count...])) : nil
        }
        return old == new ? nil : .set(field: field, value: new)
    }

    /// One change per field, in the order `between` gives them: the removals, then the
    /// others, each by field name.
    public init(byField changes: [String: Change]) {
        let removals = changes.filter { if case .remove = $0.value { true } else { false } }
        self.init(
            removals.sorted { $0.key < $1.key }.map(\.value)
                + changes.filter { removals[$0.key] == nil }.sorted { $0.key < $1.key }.map(\.value))
    }

    /// `state` with the changes applied. Total, so that no stored or received delta can
    /// stop a process: a field change on a state that is not an object starts from an
    /// empty object, and an append to a field that holds no array starts a new one.
    /// (`between` never makes such a delta; a worker with a bug could.)
    public func applied(to state: JSONValue) -> JSONValue {
        var state = state
        for change in changes { Self.apply(change, to: &state) }
        return state
    }

    public var isEmpty: Bool { changes.isEmpty }

    static func apply(_ change: Change, to state: inout JSONValue) {
        if case .replace(let value) = change {
            state = value
            return
        }
        guard case .object(var fields) = state else {
            state = .object([:])
            apply(change, to: &state)
            return
        }
        state = .null  // `fields` is the only reference left: the appends below do not copy it
        switch change {
        case .replace: break
        case .set(let field, let value):
            fields[field] = value
        case .remove(let field):
            fields.removeValue(forKey: field)
        case .append(let field, let items):
            if case .array(var existing) = fields[field] {
                fields[field] = .null
                existing.append(contentsOf: items)
                fields[field] = .array(existing)
            } else {
                fields[field] = .array(items)
            }
        }
        state = .object(fields)
    }

    /// About as many bytes as the changes take in JSON (see `JSONValue.estimatedJSONBytes`).
    public var estimatedJSONBytes: Int {
        changes.reduce(2) { total, change in
            switch change {
            case .replace(let value): total + 24 + value.estimatedJSONBytes
            case .set(let field, let value): total + 32 + field.utf8.count + value.estimatedJSONBytes
            case .remove(let field): total + 28 + field.utf8.count
            case .append(let field, let items):
                total + 34 + field.utf8.count + JSONValue.array(items).estimatedJSONBytes
            }
        }
    }
}

extension StateDelta.Change: Codable {
    private enum CodingKeys: String, CodingKey { case op, field, value, items }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let op = try c.decode(String.self, forKey: .op)
        switch op {
        case "replace": self = .replace(try c.decode(JSONValue.self, forKey: .value))
        case "set":
            self = .set(
                field: try c.decode(String.self, forKey: .field), value: try c.decode(JSONValue.self, forKey: .value))
        case "remove": self = .remove(field: try c.decode(String.self, forKey: .field))
        case "append":
            self = .append(
                field: try c.decode(String.self, forKey: .field), items: try c.decode([JSONValue].self, forKey: .items))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .op, in: c, debugDescription: "'\(op)' is not a state change (replace, set, remove, append)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .replace(let value):
            try c.encode("replace", forKey: .op)
            try c.encode(value, forKey: .value)
        case .set(let field, let value):
            try c.encode("set", forKey: .op)
            try c.encode(field, forKey: .field)
            try c.encode(value, forKey: .value)
        case .remove(let field):
            try c.encode("remove", forKey: .op)
            try c.encode(field, forKey: .field)
        case .append(let field, let items):
            try c.encode("append", forKey: .op)
            try c.encode(field, forKey: .field)
            try c.encode(items, forKey: .items)
        }
    }
}

extension StateDelta {
    /// An array of changes.
    public init(from decoder: any Decoder) throws {
        changes = try decoder.singleValueContainer().decode([Change].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(changes)
    }
}

extension JSONValue {
    /// About as many bytes as this value takes in compact JSON, without writing it: string
    /// lengths in UTF-8 (escapes not counted), fractions as 10 characters. A walk over the
    /// value's nodes, far cheaper than encoding it, to choose between sending a whole
    /// state and a delta.
    public var estimatedJSONBytes: Int {
        switch self {
        case .null: 4
        case .bool(let value): value ? 4 : 5
        case .number(let value):
            value.rounded() == value && abs(value) < 1e15 ? Self.digits(Int64(value)) : 10
        case .string(let value): value.utf8.count + 2
        case .array(let items): items.reduce(items.isEmpty ? 2 : 1 + items.count) { $0 + $1.estimatedJSONBytes }
        case .object(let fields):
            fields.reduce(fields.isEmpty ? 2 : 1 + fields.count) {
                $0 + $1.key.utf8.count + 3 + $1.value.estimatedJSONBytes
            }
        }
    }

    /// `estimatedJSONBytes`, but the walk stops once it has counted more than `limit`
    /// (and returns what it has counted): whether a large state is larger than a small
    /// delta costs the delta's size, not the state's.
    public func estimatedJSONBytes(stoppingAbove limit: Int) -> Int {
        switch self {
        case .array(let items):
            var total = items.isEmpty ? 2 : 1 + items.count
            for item in items where total <= limit { total += item.estimatedJSONBytes(stoppingAbove: limit - total) }
            return total
        case .object(let fields):
            var total = fields.isEmpty ? 2 : 1 + fields.count
            for (key, value) in fields where total <= limit {
                total += key.utf8.count + 3 + value.estimatedJSONBytes(stoppingAbove: limit - total)
            }
            return total
        default:
            return estimatedJSONBytes
        }
    }

    private static func digits(_ value: Int64) -> Int {
        var count = value < 0 ? 2 : 1
        var rest = value.magnitude / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        return count
    }
}
