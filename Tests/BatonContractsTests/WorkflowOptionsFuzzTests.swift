import BatonContracts
import Foundation
import Testing

/// Findings of the state-machine fuzzer about the options' wire form.
@Suite struct WorkflowOptionsFuzzTests {
    /// `startToCloseTimeoutSeconds` is documented as "nil for no limit", but its decoder
    /// (`decode(_:default:)`) turns an absent or null field into the 86,400 s default:
    /// options without the limit come back with one, through the API (`null` or left
    /// out) and through the scheduler's stored machine alike.
    @Test func noStartToCloseLimitSurvivesTheWireForm() throws {
        let options = WorkflowOptions(startToCloseTimeoutSeconds: nil)
        let reread = try JSONValueCoding.decode(WorkflowOptions.self, from: JSONValueCoding.encode(options))
        withKnownIssue("a nil startToCloseTimeoutSeconds reads back as 86400 (reported, not fixed: WorkflowOptions)") {
            #expect(reread.startToCloseTimeoutSeconds == nil)
        }
        let explicitNull = try JSONValueCoding.decode(
            WorkflowOptions.self, from: JSONValue.parse(#"{"startToCloseTimeoutSeconds": null}"#, limits: .requestBody))
        withKnownIssue("an explicit null is taken as 'use the default'") {
            #expect(explicitNull.startToCloseTimeoutSeconds == nil)
        }
    }
}
