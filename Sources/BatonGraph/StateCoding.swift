import BatonContracts
import Foundation

/// Moves states between their Swift type and the JSON form that checkpoints carry,
/// and computes and applies field writes.
enum StateCoding<State: GraphState> {
    static func encode(_ state: State) throws(GraphError) -> JSONValue {
        do {
            return try JSONValueCoding.encode(state)
        } catch {
            throw .stateEncoding("\(error)")
        }
    }

    static func decode(_ value: JSONValue) throws(GraphError) -> State {
        do {
            return try JSONValueCoding.decode(State.self, from: value)
        } catch {
            throw .checkpointMismatch("its state does not decode as \(State.self): \(error)")
        }
    }

    /// The fields a task changed, as reducer writes: `{field: write}`.
    ///
    /// The encoder leaves a nil field out, so a field the task cleared is one present
    /// before and absent after: it is written as `null`, which the reducers fold like any
    /// value and which decodes as nil. Absent and `null` are the same value here, as they
    /// are to the decoder.
    static func writes(input: JSONValue, output: JSONValue) -> JSONValue {
        guard case .object(let after) = output else { return output }
        let before = input.objectValue ?? [:]
        var writes: [String: JSONValue] = [:]
        for field in Set(before.keys).union(after.keys) {
            let value = after[field] ?? .null
            guard (before[field] ?? .null) != value else { continue }
            writes[field] = reducer(for: field).write(before[field], value)
        }
        return .object(writes)
    }

    /// A task's output as the runtime keeps it: the state as JSON, the field writes (see
    /// `writes(input:output:)`), and the change from the JSON the task received (see
    /// `StateDelta.between`).
    struct EncodedOutput: Sendable {
        var json: JSONValue
        var writes: JSONValue
        var delta: StateDelta
    }

    /// `output`, the state a task returned, given the state it received and that state's
    /// JSON: the same as encoding `output` and comparing, but the fields the node left as
    /// they were keep their JSON, and of a list it extended only the new elements are
    /// encoded (see `FieldComparison`), so a step costs what it changed rather than the
    /// size of the state. A state whose fields cannot be captured (see `StateFields`) is
    /// encoded whole.
    static func encode(
        _ output: State, receivedAs input: State, json inputJSON: JSONValue
    ) throws(GraphError) -> EncodedOutput {
        guard case .object(let before) = inputJSON, let received = StateFields(input),
            let returned = StateFields(output)
        else { return try encodeWhole(output, receivedAs: inputJSON) }
        var after: [String: JSONValue] = [:]
        after.reserveCapacity(returned.fields.count)
        var writes: [String: JSONValue] = [:]
        var changes: [String: StateDelta.Change] = [:]
        for (index, (field, value)) in returned.fields.enumerated() {
            let previous = before[field]
            let outcome = try fieldOutcome(value, received: received.field(field, near: index), previous: previous)
            // A key encoded twice: what the whole encoding makes of it is the encoder's.
            guard after.updateValue(outcome.json, forKey: field) == nil else {
                return try encodeWhole(output, receivedAs: inputJSON)
            }
            switch outcome {
            case .unchanged:
                continue
            case .extended(let json, let added):
                let reducer = reducer(for: field)
                writes[field] = reducer.writeExtended?(added) ?? reducer.write(previous, json)
                changes[field] = .append(field: field, items: added)
            case .encoded(let json):
                guard let change = StateDelta.change(ofField: field, from: previous, to: json) else { continue }
                changes[field] = change
                // A change from absent to null is no write.
                if (previous ?? .null) != json { writes[field] = reducer(for: field).write(previous, json) }
            }
        }
        for (field, previous) in before where after[field] == nil {
            if previous != .null { writes[field] = reducer(for: field).write(previous, .null) }
            changes[field] = .remove(field: field)
        }
        return EncodedOutput(json: .object(after), writes: .object(writes), delta: StateDelta(byField: changes))
    }

    private enum FieldOutcome {
        /// The field keeps the JSON the task received.
        case unchanged(JSONValue)
        /// A list the node extended by `added`: the JSON received with those at its end.
        case extended(JSONValue, added: [JSONValue])
        /// The field's JSON made anew, to compare with the one received.
        case encoded(JSONValue)

        var json: JSONValue {
            switch self {
            case .unchanged(let json), .extended(let json, _), .encoded(let json): json
            }
        }
    }

    /// What the node did to one field, told from the Swift values where their types allow
    /// (see `FieldComparison`) and the JSON it received (`previous`).
    private static func fieldOutcome(
        _ value: StateFields.Field, received: StateFields.Field?, previous: JSONValue?
    ) throws(GraphError) -> FieldOutcome {
        switch value {
        case .json(let json):
            return .encoded(json)
        case .value(let value):
            guard let previous, case .value(let receivedValue)? = received else {
                return .encoded(try encodeField(value))
            }
            switch try compare(receivedValue, value) {
            case .unchanged:
                return .unchanged(previous)
            // Only where the JSON the task received holds the list it received.
            case .extended(let count, let added):
                guard case .array(let items) = previous, items.count == count else { break }
                return .extended(.array(items + added), added: added)
            case .unknown:
                break
            }
            return .encoded(try encodeField(value))
        }
    }

    /// `encode(_:receivedAs:json:)` the plain way: the whole state, its JSON compared.
    private static func encodeWhole(
        _ output: State, receivedAs inputJSON: JSONValue
    ) throws(GraphError)
        -> EncodedOutput
    {
        let json = try encode(output)
        let writes = writes(input: inputJSON, output: json)
        let written = writes.objectValue?.keys.map { $0 } ?? []
        return EncodedOutput(json: json, writes: writes, delta: StateDelta.between(inputJSON, json, fields: written))
    }

    private static func compare(
        _ input: any Encodable, _ output: any Encodable
    ) throws(GraphError)
        -> FieldComparison.Outcome
    {
        do {
            return try FieldComparison.compare(input: input, output: output)
        } catch {
            throw .stateEncoding("\(error)")
        }
    }

    private static func encodeField(_ value: any Encodable) throws(GraphError) -> JSONValue {
        do {
            return try JSONValueCoding.encode(value)
        } catch {
            throw .stateEncoding("\(error)")
        }
    }

    /// Folds the writes of a step's tasks, in the given order, into `state`.
    static func apply(_ taskWrites: [JSONValue], to state: JSONValue) -> JSONValue {
        guard case .object(var fields) = state else { return state }
        for case .object(let writes) in taskWrites {
            for (field, write) in writes.sorted(by: { $0.key < $1.key }) {
                fields[field] = reducer(for: field).apply(fields[field], write)
            }
        }
        return .object(fields)
    }

    static func reducer(for field: String) -> Reducer { State.reducers[field] ?? .replace }
}

extension JSONValue {
    var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }
}
