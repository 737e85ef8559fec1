import BatonContracts
import Testing

@Suite struct WorkflowAPITests {
    @Test(arguments: ["order-42", "a.b:c_d-1", String(repeating: "x", count: 128)])
    func acceptsReasonableIds(id: String) {
        #expect(SubmitWorkflowRequest(id: id, agent: "chain").validationError() == nil)
    }

    @Test(arguments: ["", "has space", "slash/inside", "é", String(repeating: "x", count: 129)])
    func rejectsIdsThatDoNotFitURLsAndQueues(id: String) {
        #expect(
            SubmitWorkflowRequest(id: id, agent: "chain").validationError()?.contains("invalid workflow id") == true)
    }

    @Test func requiresAnAgent() {
        #expect(
            SubmitWorkflowRequest(agent: "").validationError() == "'agent' must name an agent (1 to 128 characters)")
    }

    @Test func terminalStatusesAreExactlyTheFourEndings() {
        #expect(WorkflowStatus.allCases.filter(\.isTerminal) == [.completed, .failed, .cancelled, .timedOut])
    }
}
