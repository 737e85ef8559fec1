import BatonContracts
import BatonGraph

extension NodeContext {
    /// Starts a child workflow and pauses this graph until the child ends: the worker
    /// is freed meanwhile, and the scheduler resumes this workflow with the child's
    /// outcome. The submission is journaled, so a resumed node does not start another
    /// child; give it an `id` derived from this workflow's so that even a crash between
    /// submitting and journaling finds the same child again.
    public func runChildWorkflow(
        _ submission: SubmitWorkflowRequest, via tasks: any TaskDelegate
    ) async throws -> ChildWorkflowOutcome {
        let child = try await call("child_workflow") { try await tasks.submit(submission).id }
        let answer = try await waitForAnswer(
            InterruptRequest(
                title: "Waiting for child workflow \(child)",
                question: "This workflow continues when its child workflow \(child) (\(submission.agent)) ends.",
                allowsFreeText: false, childWorkflowId: child))
        do {
            return try JSONValueCoding.decode(ChildWorkflowOutcome.self, from: answer)
        } catch {
            throw GraphError.checkpointMismatch(
                "the answer to the wait for child workflow \(child) is not a child workflow's outcome")
        }
    }
}
