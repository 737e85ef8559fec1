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
            SubmitWorkflowRequest(agent: "").validationError()?.hasPrefix("invalid agent name ''") == true)
    }

    @Test func terminalStatusesAreExactlyTheFourEndings() {
        #expect(WorkflowStatus.allCases.filter(\.isTerminal) == [.completed, .failed, .cancelled, .timedOut])
    }
}

@Suite struct InterruptAnswerValidationTests {
    let question = InterruptRequest(
        title: "Publish?", question: "Publish the report?",
        choices: [.init(id: "yes", label: "Yes"), .init(id: "no", label: "No")], allowsFreeText: false)

    @Test func answersMustFitTheQuestion() {
        #expect(question.problem(with: ["choice": "yes"]) == nil)
        #expect(question.problem(with: ["choice": "maybe"]) == "'maybe' is not one of the choices offered: yes, no")
        #expect(question.problem(with: "sure") == "this question takes no free text; choose one of: yes, no")
        #expect(question.problem(with: .null) == "the answer is empty; choose one of: yes, no")
        let open = InterruptRequest(title: "Notes", question: "Anything to add?")
        #expect(open.problem(with: "looks good") == nil)
        #expect(open.problem(with: ["text": "fine", "choice": "whatever"]) == nil)
    }
}

@Suite struct ChildIdTests {
    @Test func childIdsAreStableAndValidWhateverTheParent() {
        #expect(SubmitWorkflowRequest.childId(of: "wf-1", key: "deep-dive") == "wf-1.deep-dive")
        let long = String(repeating: "p", count: 128)
        let id = SubmitWorkflowRequest.childId(of: long, key: "deep-dive")
        #expect(id == SubmitWorkflowRequest.childId(of: long, key: "deep-dive"))
        #expect(id != SubmitWorkflowRequest.childId(of: long, key: "other"))
        #expect(SubmitWorkflowRequest(id: id, agent: "a").validationError() == nil)
    }
}
