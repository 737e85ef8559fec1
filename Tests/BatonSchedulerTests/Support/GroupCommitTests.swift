import BatonContracts
import Testing

@testable import BatonScheduler

@Suite struct GroupCommitTests {
    struct Refused: Error {}
    struct Unreachable: Error {}

    /// A merged commit that fails for a reason of its own (the database is down) fails
    /// every caller at once: redone caller by caller, the last would wait out all the
    /// others' retries before hearing of it.
    @Test func aTransientFailureFailsEveryWaitingCallerAtOnce() async throws {
        let commits = Locked<[[Int]]>([])
        let firstMayEnd = AsyncStream<Void>.makeStream()
        let group = GroupCommit<Int, Int>(maximumInputs: 100, isTransient: { $0 is Unreachable }) { inputs in
            let first = commits.withLock { commits in
                commits.append(inputs)
                return commits.count == 1
            }
            if first {
                for await _ in firstMayEnd.stream { break }
                return inputs
            }
            throw Unreachable()
        }
        async let first = group.run([1])
        while commits.withLock({ $0.isEmpty }) { await Task.yield() }
        let waiting = [2, 3, 4].map { input in Task { try await group.run([input]) } }
        while await group.waitingCallers < 3 { await Task.yield() }
        firstMayEnd.continuation.yield()
        #expect(try await first == [1])
        for caller in waiting { await #expect(throws: Unreachable.self) { try await caller.value } }
        #expect(commits.withLock { $0.count } == 2)  // the merged one only: nobody redone alone
    }

    /// Callers that arrive while a commit runs go together in the next one, each gets
    /// its own outputs; a merged commit that fails is redone caller by caller, so only
    /// the caller with the bad input fails.
    @Test func waitingCallersAreCommittedTogetherAndABadOneFailsAlone() async throws {
        let commits = Locked<[[Int]]>([])
        let firstMayEnd = AsyncStream<Void>.makeStream()
        let group = GroupCommit<Int, Int>(maximumInputs: 100) { inputs in
            let first = commits.withLock { commits in
                commits.append(inputs)
                return commits.count == 1
            }
            if first { for await _ in firstMayEnd.stream { break } }
            if inputs.contains(-1) { throw Refused() }
            return inputs.map { $0 * 10 }
        }
        async let first = group.run([1])
        while commits.withLock({ $0.isEmpty }) { await Task.yield() }
        async let second = group.run([2, 3])
        let bad = Task { try await group.run([-1]) }
        async let third = group.run([4])
        while await group.waitingCallers < 3 { await Task.yield() }
        firstMayEnd.continuation.yield()
        #expect(try await first == [10])
        #expect(try await second == [20, 30])
        #expect(try await third == [40])
        await #expect(throws: Refused.self) { try await bad.value }
        let merged = commits.withLock { $0 }
        #expect(merged.first == [1])
        #expect(merged.dropFirst().first?.sorted() == [-1, 2, 3, 4])  // the three waiting callers, together
        #expect(merged.count == 5)  // then each alone
    }

    /// A burst of concurrent submissions, each id three times: every id is created
    /// once and found twice, and every workflow is dispatched once, however the
    /// requests fell into batches.
    @Test func aBurstGetsTheOutcomesOfSubmissionsOneByOne() async throws {
        let h = EngineHarness()
        let batcher = GroupCommit(maximumInputs: 8) { try await h.engine.submit($0) }
        let ids = (0..<20).map { "x\($0)" }
        let outcomes = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
            for id in ids + ids + ids {
                group.addTask {
                    let request = SubmitWorkflowRequest(id: id, agent: "chain", input: ["id": .string(id)])
                    return switch try await batcher.run([.init(request: request, tenant: "default")])[0] {
                    case .created(let view, _): (view.id, true)
                    case .existing(let view): (view.id, false)
                    default: (id, false)
                    }
                }
            }
            return try await group.reduce(into: [(String, Bool)]()) { $0.append($1) }
        }
        #expect(outcomes.count == 60)
        for id in ids {
            #expect(outcomes.filter { $0.0 == id && $0.1 }.count == 1, "\(id) created once")
            #expect(outcomes.filter { $0.0 == id && !$0.1 }.count == 2, "\(id) found twice")
            #expect(h.history(id) == ["submitted applied", "dispatched applied"])
        }
        #expect(try h.takeRunCommands().map(\.workflowId).sorted() == ids.sorted())
    }
}
