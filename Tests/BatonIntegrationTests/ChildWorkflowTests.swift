import BatonAgents
import BatonContracts
import BatonGraph
import BatonSchedulerClient
import Foundation
import Testing

/// A parent waits for its child in the scheduler, not on a worker, and resumes with the
/// child's outcome whichever comes first: the child's end or the parent's wait.
@Suite struct ChildWorkflowTests {
    struct ParentState: GraphState {
        var childStatus: String?
        var childSteps: Int?
    }

    /// Runs a 2-step chain as its child. With `"early": true` it first waits (on the
    /// worker, by polling) until that child has ended, so its wait starts after the end.
    /// `"child_hold"` adds a held chain's hooks (`HeldChain.input`) to the child's input.
    struct ParentAgent: Agent {
        let name = "parent-test"
        let tasks: any TaskDelegate

        func run(_ run: AgentRun, hooks: GraphRunHooks) async throws -> AgentOutcome {
            let early = run.input["early"] == true
            var childInput: [String: JSONValue] = ["steps": run.input["child_steps"] ?? 2, "sleep_ms": 800]
            if case .object(let hold) = run.input["child_hold"] { childInput.merge(hold) { $1 } }
            let child = SubmitWorkflowRequest(
                id: "\(run.workflowId).child", agent: "chain", input: .object(childInput), parentId: run.workflowId)
            var graph = StateGraph<ParentState>()
            graph.addNode("delegate") { state, context in
                if early {
                    _ = try await context.call("child_done_early") {
                        var snapshot = try await tasks.submit(child)
                        while !snapshot.status.isTerminal {
                            try await Task.sleep(for: .milliseconds(50))
                            snapshot = try await tasks.status(of: snapshot.id)
                        }
                        return snapshot
                    }
                }
                let outcome = try await context.runChildWorkflow(child, via: tasks)
                var state = state
                state.childStatus = outcome.status.rawValue
                state.childSteps = outcome.result?["steps"]?.arrayValue?.count
                return state
            }
            graph.addEdge(from: StateGraph<ParentState>.start, to: "delegate")
            graph.addEdge(from: "delegate", to: StateGraph<ParentState>.end)
            return try await graph.compile().run(run, input: ParentState(), hooks: hooks)
        }
    }

    @Test(arguments: [false, true])
    func theParentResumesWithItsChildsOutcome(childEndsBeforeTheWait: Bool) async throws {
        let tasks = AgentAcademyTests.LateBoundTasks()
        try await Stack.run(concurrency: 2, agents: [ParentAgent(tasks: tasks)]) { stack in
            tasks.bind(stack.baseURL)
            let id = "parent-\(UUID().uuidString.prefix(8))"
            // Waiting, the child holds its first step until the answer below was refused:
            // a child that ended first (a loaded machine) resumed the parent, which then
            // refused the answer for another reason.
            let hold = HeldChain("child", steps: 2, holdAt: 0)
            var input: [String: JSONValue] = ["early": .bool(childEndsBeforeTheWait)]
            if !childEndsBeforeTheWait {
                input["child_hold"] = hold.input
            }
            _ = try await stack.submit(SubmitWorkflowRequest(id: id, agent: "parent-test", input: .object(input)))
            if !childEndsBeforeTheWait {
                let waiting = try await AgentAcademyTests.waitForQuestion(
                    stack, id, titled: "Waiting for child workflow \(id).child-", prefix: true)
                #expect(waiting.interrupt?["childWorkflowId"]?.stringValue?.hasPrefix("\(id).child-") == true)
                // Nobody but the scheduler answers a wait for a child.
                let answer = try await stack.post("/v1/workflows/\(id)/input", json: #"{"answer": "done"}"#)
                #expect(answer.status == 409)
                #expect(String(decoding: answer.body, as: UTF8.self).contains("waits for its child workflow"))
                try hold.release()
            }
            let done = try await stack.waitUntilFinished(id)
            #expect(done.status == .completed)
            #expect(done.result?["childStatus"] == "completed")
            #expect(done.result?["childSteps"] == 2)
            let child = try await Self.onlyChild(of: id, stack)
            #expect(child.parentId == id)
        }
    }

    static func onlyChild(of parent: String, _ stack: Stack) async throws -> WorkflowView {
        let children = try await stack.client().list(status: nil, parent: parent, limit: 10)
        #expect(children.count == 1)
        return try #require(children.first)
    }

    /// Issue #10 (12): a child's id cannot be taken before its parent submits it, and
    /// a submission naming a parent that does not exist is refused.
    @Test func childIdsCannotBeSquatted() async throws {
        let tasks = AgentAcademyTests.LateBoundTasks()
        try await Stack.run(concurrency: 2, agents: [ParentAgent(tasks: tasks)]) { stack in
            tasks.bind(stack.baseURL)
            let id = "parent-\(UUID().uuidString.prefix(8))"
            // A squatter takes the id the parent's agent asks for, before the parent runs.
            let squat = try await stack.post(
                "/v1/workflows",
                json: #"{"id": "\#(id).child", "agent": "chain", "input": {"steps": 1}, "caller": "mallory"}"#,
                as: "mallory")
            #expect(squat.status == 201)
            let orphan = try await stack.post(
                "/v1/workflows", json: #"{"agent": "chain", "parentId": "no-such-parent"}"#)
            #expect(orphan.status == 400)
            #expect(String(decoding: orphan.body, as: UTF8.self).contains("no workflow with id 'no-such-parent'"))
            _ = try await stack.submit(SubmitWorkflowRequest(id: id, agent: "parent-test", input: [:]))
            let done = try await stack.waitUntilFinished(id)
            #expect(done.status == .completed)
            #expect(done.result?["childStatus"] == "completed")
            let child = try await Self.onlyChild(of: id, stack)
            #expect(child.id != "\(id).child")
            #expect(child.caller == "admin")  // the parent's submitter, as its delegation token says
            let squatted = try Stack.decode(try await stack.get("/v1/workflows/\(id).child", as: "mallory"))
            #expect(squatted.parentId == nil)
            #expect(squatted.caller == "mallory")
            #expect(squatted.tenant == "elsewhere")
        }
    }

    @Test func cancellingAParentCancelsItsUnfinishedChild() async throws {
        let tasks = AgentAcademyTests.LateBoundTasks()
        try await Stack.run(concurrency: 2, agents: [ParentAgent(tasks: tasks)]) { stack in
            tasks.bind(stack.baseURL)
            let id = "parent-\(UUID().uuidString.prefix(8))"
            _ = try await stack.submit(
                SubmitWorkflowRequest(id: id, agent: "parent-test", input: ["child_steps": 100]))
            _ = try await AgentAcademyTests.waitForQuestion(
                stack, id, titled: "Waiting for child workflow \(id).child-", prefix: true)
            let cancel = try await stack.post("/v1/workflows/\(id)/cancel", json: #"{"reason": "not needed"}"#)
            #expect(cancel.status == 200)
            let parent = try await stack.waitUntilFinished(id)
            #expect(parent.status == .cancelled)
            let child = try await stack.waitUntilFinished(try await Self.onlyChild(of: id, stack).id)
            #expect(child.status == .cancelled)
            #expect(child.error?.message == "its parent workflow \(id) ended (cancelled)")
        }
    }
}
