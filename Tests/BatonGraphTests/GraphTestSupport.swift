import BatonContracts
import BatonGraph
import Synchronization

/// A state with each kind of reducer.
struct Trail: GraphState, Equatable {
    var visited: [String] = []
    var notes: [String: String] = [:]
    var last: String = ""
    var total: Int = 0

    static let reducers: [String: Reducer] = [
        "visited": .append, "notes": .merge,
        "total": .custom { current, input, output in
            .number((current?.numberValue ?? 0) + (output.numberValue ?? 0) - (input?.numberValue ?? 0))
        },
    ]
}

/// Counts side effects, as a model server would count requests.
final class Calls: Sendable {
    private let names = Mutex<[String]>([])
    func record(_ name: String) { names.withLock { $0.append(name) } }
    var all: [String] { names.withLock { $0 } }
    func count(_ name: String) -> Int { all.filter { $0 == name }.count }
}

/// Collects checkpoints and events of a run.
final class Recorder: Sendable {
    private let checkpoints = Mutex<[Checkpoint]>([])
    private let events = Mutex<[GraphEvent]>([])
    /// Throw from the checkpoint hook after this many checkpoints: a crash at that point.
    let crashAfter: Int?

    init(crashAfter: Int? = nil) { self.crashAfter = crashAfter }

    struct Crash: Error {}

    var all: [Checkpoint] { checkpoints.withLock { $0 } }
    var allEvents: [GraphEvent] { events.withLock { $0 } }

    var hooks: GraphRunHooks {
        GraphRunHooks(
            checkpoint: { checkpoint in
                let count = self.checkpoints.withLock { list -> Int in
                    list.append(checkpoint)
                    return list.count
                }
                if let limit = self.crashAfter, count >= limit { throw Crash() }
            },
            event: { event in self.events.withLock { $0.append(event) } })
    }
}

extension GraphOutcome {
    var state: State? {
        if case .completed(let state) = self { return state }
        return nil
    }

    var interrupt: PendingInterrupt? {
        if case .interrupted(let pending) = self { return pending }
        return nil
    }
}

/// a → b → c, each appending its name.
func chain(
    _ names: [String] = ["a", "b", "c"], calls: Calls = Calls(), stepLimit: Int = 100
) throws
    -> CompiledGraph<Trail>
{
    var graph = StateGraph<Trail>()
    var previous = StateGraph<Trail>.start
    for name in names {
        graph.addNode(name) { state, context in
            calls.record(context.node)
            var state = state
            state.visited.append(context.node)
            return state
        }
        graph.addEdge(from: previous, to: name)
        previous = name
    }
    graph.addEdge(from: previous, to: StateGraph<Trail>.end)
    return try graph.compile(stepLimit: stepLimit)
}
