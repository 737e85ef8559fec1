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
    static func writes(input: JSONValue, output: JSONValue) -> JSONValue {
        guard case .object(let after) = output else { return output }
        let before = input.objectValue ?? [:]
        var writes: [String: JSONValue] = [:]
        for (field, value) in after where before[field] != value {
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
