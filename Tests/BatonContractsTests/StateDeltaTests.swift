import BatonContracts
import BatonFuzzMutations
import Foundation
import Testing

/// Issue #12: a checkpoint carries what its step changed. `StateDelta.between` and
/// `applied(to:)` must be exact inverses on any states, and the wire form must refuse
/// what cannot be applied.
@Suite struct StateDeltaTests {
    static let seeds: [UInt64] = [1, 12, 0xBA70, 20_261_212, 77_777_777]

    /// Random JSON of bounded depth; few field names, so that changes overlap.
    struct Values {
        var random: SeededGenerator
        static let fields = ["steps", "messages", "n", "draft", "facts", "", "é", "a.b"]

        mutating func value(depth: Int) -> JSONValue {
            switch random.below(depth > 0 ? 8 : 5) {
            case 0: return .null
            case 1: return .bool(random.chance(0.5))
            case 2: return .number(Double(random.below(2000)) - 1000 + (random.chance(0.3) ? 0.25 : 0))
            case 3: return .string(String(repeating: "x", count: random.below(40)))
            case 4: return .string("s\(random.below(5))")
            case 5, 6: return .array((0..<random.below(6)).map { _ in value(depth: depth - 1) })
            default: return object(depth: depth - 1)
            }
        }

        mutating func object(depth: Int) -> JSONValue {
            var fields: [String: JSONValue] = [:]
            for _ in 0..<random.below(6) { fields[Self.fields[random.below(Self.fields.count)]] = value(depth: depth) }
            return .object(fields)
        }

        /// `state` changed the ways a step changes a state: fields added, removed and set
        /// (also to another type), arrays that grow at their end, shrink, or change in the
        /// middle or at their start.
        mutating func changed(_ state: JSONValue) -> JSONValue {
            guard case .object(var fields) = state, random.below(12) != 0 else {
                return random.chance(0.5) ? object(depth: 3) : value(depth: 3)
            }
            for _ in 0..<(1 + random.below(3)) {
                let field = Self.fields[random.below(Self.fields.count)]
                switch (random.below(7), fields[field]) {
                case (0, _): fields.removeValue(forKey: field)
                case (1, _): fields[field] = value(depth: 3)
                case (2, .array(let items)), (3, .array(let items)):
                    fields[field] = .array(items + (0..<(1 + random.below(4))).map { _ in value(depth: 2) })
                case (4, .array(let items)) where !items.isEmpty:
                    fields[field] = .array(Array(items.dropLast(1 + random.below(items.count))))
                case (5, .array(var items)) where !items.isEmpty:
                    items[random.below(items.count)] = value(depth: 2)
                    if random.chance(0.5) { items.append(value(depth: 1)) }
                    fields[field] = .array(items)
                case (6, .array(let items)):
                    fields[field] = .array([value(depth: 1)] + items)  // grown at its start: not an append
                default:
                    fields[field] = .array((0..<random.below(4)).map { _ in value(depth: 2) })
                }
            }
            return .object(fields)
        }
    }

    static func roundTrip(_ delta: StateDelta) throws -> StateDelta {
        try JSONValueCoding.decode(
            StateDelta.self, from: JSONValue.parse(JSONValueCoding.encode(delta).jsonData, limits: .message))
    }

    @Test(arguments: seeds) func applyingTheChangesBetweenTwoStatesGivesTheSecond(seed: UInt64) throws {
        var values = Values(random: SeededGenerator(seed: seed))
        var appends = 0
        for index in 0..<400 {
            var old = values.object(depth: 3)
            // A run of steps, each on the state the previous one made.
            for step in 0..<5 {
                let new = values.changed(old)
                let delta = StateDelta.between(old, new)
                #expect(delta.applied(to: old) == new, "seed \(seed) input \(index) step \(step): \(old) → \(new)")
                #expect(try Self.roundTrip(delta) == delta)
                #expect(StateDelta.between(new, new).isEmpty)
                appends += delta.changes.filter { if case .append = $0 { true } else { false } }.count
                old = new
            }
        }
        #expect(appends > 100)  // the generator reaches the append case
    }

    /// Told which fields may differ (the fields a graph step wrote), `between` compares
    /// only those and gives the same delta, field by field as `change(ofField:from:to:)`.
    @Test(arguments: seeds) func theChangesOfTheFieldsThatDifferAreTheWholeDelta(seed: UInt64) {
        var values = Values(random: SeededGenerator(seed: seed))
        for index in 0..<400 {
            let old = values.object(depth: 3)
            let new = values.changed(old)
            guard case .object(let before) = old, case .object(let after) = new else { continue }
            let differing = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }
            let delta = StateDelta.between(old, new)
            #expect(StateDelta.between(old, new, fields: differing) == delta, "seed \(seed) input \(index)")
            var byField: [String: StateDelta.Change] = [:]
            for field in differing {
                byField[field] = StateDelta.change(ofField: field, from: before[field], to: after[field])
            }
            #expect(StateDelta(byField: byField) == delta, "seed \(seed) input \(index)")
        }
    }

    /// An array extends another when it starts with its elements: the very values (the
    /// same bytes), or equal ones held elsewhere.
    @Test func anArrayExtendsTheOneItStartsWith() {
        let kept: [JSONValue] = [["text": .string(String(repeating: "x", count: 100))], "b"]
        #expect((kept + ["c"]).extends(kept))
        #expect(kept.extends(kept))
        #expect(kept.extends([]))
        let elsewhere: [JSONValue] = [["text": .string(String(repeating: "x", count: 100))], "b", "c"]
        #expect(elsewhere.extends(kept))
        #expect(!["b", "c"].extends(kept))
        #expect(!kept.extends(kept + ["c"]))
        #expect(![0.5, 2.0].extends([0.5, 1.0]))
    }

    @Test func anArrayThatGrowsAtItsEndIsAnAppend() {
        let old: JSONValue = ["steps": [["node": "a"]], "n": 1, "gone": true]
        let new: JSONValue = ["steps": [["node": "a"], ["node": "b"]], "n": 2, "new": []]
        #expect(
            StateDelta.between(old, new).changes == [
                .remove(field: "gone"), .set(field: "n", value: 2), .set(field: "new", value: []),
                .append(field: "steps", items: [["node": "b"]]),
            ])
        // Shrunk, changed inside, or grown at the start: the field is set.
        for changed: JSONValue in [[], [["node": "z"]], [["node": "z"], ["node": "a"]]] {
            #expect(
                StateDelta.between(["steps": [["node": "a"]]], ["steps": changed]).changes == [
                    .set(field: "steps", value: changed)
                ])
        }
    }

    @Test func aStateThatIsNoObjectIsReplacedWhole() {
        #expect(StateDelta.between(nil, ["a": 1]).changes == [.replace(["a": 1])])
        #expect(StateDelta.between([1], [1, 2]).changes == [.replace([1, 2])])
        #expect(StateDelta.between(["a": 1], "text").changes == [.replace("text")])
        #expect(StateDelta.between(3, 3).isEmpty)
    }

    /// A worker with a bug (or a forged event) can send any delta: applying one never traps.
    @Test func anyDeltaAppliesToAnyState() {
        let delta = StateDelta([
            .append(field: "text", items: [1]), .set(field: "n", value: 2), .remove(field: "none"),
            .append(field: "new", items: ["x"]),
        ])
        #expect(delta.applied(to: ["text": "abc"]) == ["text": [1], "n": 2, "new": ["x"]])
        #expect(delta.applied(to: 7) == ["text": [1], "n": 2, "new": ["x"]])
        #expect(StateDelta([.replace(5), .set(field: "a", value: 1)]).applied(to: nil) == ["a": 1])
    }

    @Test func aCheckpointCarriesTheDeltaOnlyWhenItIsSmaller() {
        let records: [JSONValue] = (0..<500).map {
            ["node": .string("step_\($0)"), "payload": .string(String(repeating: "p", count: 1024))]
        }
        let before = Checkpoint(step: 500, nextNodes: ["step_500"], state: ["steps": .array(records)])
        let after = Checkpoint(
            step: 501, nextNodes: ["step_501"], state: ["steps": .array(records + [["node": "step_500"]])])
        let sent = after.sendingChanges(since: before.step, state: before.state)
        #expect(sent.state == nil)
        #expect(sent.baseStep == 500)
        #expect(sent.stateDelta?.changes == [.append(field: "steps", items: [["node": "step_500"]])])
        #expect(sent.applyingDelta(to: before.state) == after)
        #expect(sent.stateDelta.map { $0.estimatedJSONBytes < 100 } == true)
        // Everything changed: the whole state is smaller than a delta.
        let small = Checkpoint(step: 2, nextNodes: [], state: ["a": 2, "b": 3])
        #expect(small.sendingChanges(since: 1, state: ["a": 1, "b": 2]) == small)
        // No base before it, or a delta already: as it is.
        #expect(after.sendingChanges(since: 501, state: before.state) == after)
        #expect(sent.sendingChanges(since: 499, state: nil) == sent)
    }

    @Test func theEstimateIsCloseToTheEncodedSize() throws {
        var values = Values(random: SeededGenerator(seed: 99))
        for _ in 0..<200 {
            let value = values.object(depth: 4)
            let bytes = value.jsonData.count
            #expect(abs(value.estimatedJSONBytes - bytes) <= max(16, bytes / 4), "\(value)")
            // Stopping early: exact up to the limit, above it once past it.
            for limit in [0, 10, bytes / 2, bytes * 2] {
                let counted = value.estimatedJSONBytes(stoppingAbove: limit)
                #expect(counted > limit ? counted <= value.estimatedJSONBytes : counted == value.estimatedJSONBytes)
            }
        }
    }

    static func checkpointEvent(_ checkpoint: String) -> Data {
        Data(
            """
            {"version": 1, "type": "checkpointed", "eventId": "6F9619FF-8B86-D011-B42D-00C04FC964FF",
             "workflowId": "wf-1", "attempt": 1, "workerId": "w1", "checkpoint": \(checkpoint)}
            """.utf8)
    }

    @Test func aDeltaCheckpointRoundTripsAndMalformedOnesAreRefused() throws {
        let checkpoint = Checkpoint(
            step: 3, nextNodes: ["n"], state: nil,
            stateDelta: StateDelta([.append(field: "steps", items: [1]), .remove(field: "x")]), baseStep: 2)
        let event = WorkerEvent(workflowId: "wf-1", attempt: 1, workerId: "w1", kind: .checkpointed(checkpoint))
        #expect(try WorkerEvent.decode(event.encoded()) == event)
        // An old checkpoint (no delta fields) still decodes, whole.
        let old = try WorkerEvent.decode(Self.checkpointEvent(#"{"step": 3, "nextNodes": [], "state": {"a": 1}}"#))
        #expect(old.kind == .checkpointed(Checkpoint(step: 3, nextNodes: [], state: ["a": 1])))
        let refused: [(String, String)] = [
            (#""state": null, "stateDelta": []"#, "needs a baseStep"),
            (#""state": null, "baseStep": 2"#, "needs a stateDelta"),
            (#""state": {"a": 1}, "stateDelta": [], "baseStep": 2"#, "carries no state"),
            (#""state": null, "stateDelta": [], "baseStep": 3"#, "earlier checkpoint"),
            (#""state": null, "stateDelta": [], "baseStep": -1"#, "earlier checkpoint"),
            (#""state": null, "stateDelta": [{"op": "merge", "field": "a"}], "baseStep": 2"#, "not a state change"),
            (#""state": null, "stateDelta": [{"op": "set", "value": 1}], "baseStep": 2"#, "field"),
            (#""state": null, "stateDelta": [{"op": "append", "field": "a", "items": 1}], "baseStep": 2"#, "items"),
            (#""state": null, "stateDelta": {"op": "set"}, "baseStep": 2"#, "stateDelta"),
        ]
        for (fields, reason) in refused {
            let data = Self.checkpointEvent(#"{"step": 3, "nextNodes": [], "# + fields + "}")
            do {
                _ = try WorkerEvent.decode(data)
                Issue.record("decoded: \(fields)")
            } catch {
                #expect("\(error)".contains(reason), "\(fields): \(error)")
            }
        }
    }

    @Test func aCommandResumesOnlyFromAWholeCheckpoint() {
        let command = WorkerCommand.runActivity(
            RunActivity(
                workflowId: "wf-1", attempt: 2, agent: "chain", input: nil,
                checkpoint: Checkpoint(
                    step: 3, nextNodes: [], state: nil, stateDelta: StateDelta([.set(field: "a", value: 1)]),
                    baseStep: 2), heartbeatIntervalSeconds: 1, acceptsStateDeltas: true))
        #expect(throws: ContractError.malformed("a command's checkpoint must carry its whole state, not a stateDelta"))
        {
            try WorkerCommand.decode(command.encoded())
        }
    }
}
