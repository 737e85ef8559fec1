import BatonContracts
import Foundation
import Testing

/// Findings of the state-machine fuzzer about the options' wire form.
@Suite struct WorkflowOptionsFuzzTests {
    /// `startToCloseTimeoutSeconds` is documented as "nil for no limit"; its decoder used
    /// to turn an absent or null field alike into the 86,400 s default, so options
    /// without the limit came back with one, through the API and the stored machine.
    @Test func noStartToCloseLimitSurvivesTheWireForm() throws {
        let options = WorkflowOptions(startToCloseTimeoutSeconds: nil)
        let reread = try JSONValueCoding.decode(WorkflowOptions.self, from: JSONValueCoding.encode(options))
        #expect(reread.startToCloseTimeoutSeconds == nil)
        let explicitNull = try JSONValueCoding.decode(
            WorkflowOptions.self, from: JSONValue.parse(#"{"startToCloseTimeoutSeconds": null}"#, limits: .requestBody))
        #expect(explicitNull.startToCloseTimeoutSeconds == nil)
    }
}
