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
