import BatonContracts
import BatonGraph
import Testing

/// `.merge` folds the keys a node set, changed or removed into the current object; a
/// removed key travels as a member set to null (as in JSON Merge Patch, RFC 7386).
@Suite struct MergeReducerTests {
    /// start → (a, b) in one super-step → END, each editing `notes` its own way.
    static func graph(
        a: @escaping @Sendable (inout [String: String]) -> Void, b: @escaping @Sendable (inout [String: String]) -> Void
    ) throws -> CompiledGraph<Trail> {
        var graph = StateGraph<Trail>()
        for (name, edit) in [("a", a), ("b", b)] {
            graph.addNode(name) { state, _ in
                var state = state
                edit(&state.notes)
                return state
            }
            graph.addEdge(from: StateGraph<Trail>.start, to: name)
            graph.addEdge(from: name, to: StateGraph<Trail>.end)
        }
        return try graph.compile()
    }

    @Test func aKeyOneBranchRemovesIsGoneAndTheOtherBranchesKeysStay() async throws {
        let merge = try Self.graph(a: { $0["drop"] = nil }, b: { $0["added"] = "by b" })
        let outcome = try await merge.run(input: Trail(notes: ["drop": "x", "keep": "y"]))
        #expect(outcome.state?.notes == ["keep": "y", "added": "by b"])
    }

    @Test func theWriteOfARemovedKeyIsANullMember() async throws {
        let recorder = Recorder()
        let merge = try Self.graph(a: { $0["drop"] = nil }, b: { $0["added"] = "by b" })
        _ = try await merge.run(input: Trail(notes: ["drop": "x"]), hooks: recorder.hooks)
        #expect(recorder.allEvents.contains(.update(task: "a", writes: ["notes": ["drop": .null]])))
    }

    @Test func aRemovalAndASetOfOneKeyInOneStepEndInTaskOrder() async throws {
        // a removes the key, then b (later in task order) sets it again.
        let merge = try Self.graph(a: { $0["key"] = nil }, b: { $0["key"] = "new" })
        let outcome = try await merge.run(input: Trail(notes: ["key": "old"]))
        #expect(outcome.state?.notes == ["key": "new"])
    }
}
