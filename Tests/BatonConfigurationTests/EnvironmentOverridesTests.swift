import BatonConfiguration
import Testing

@Suite struct EnvironmentOverridesTests {
    /// A misspelt variable used to be ignored without a word (the file's value won);
    /// the daemons now warn about every `BATON_…` variable no setting asked for.
    @Test func namesTheBatonVariablesNoSettingAskedFor() throws {
        let environment = EnvironmentOverrides([
            "BATON_BROKER_URL": "amqp://h", "BATON_BROKR_URL": "amqp://typo", "BATON_HTTP_PORT": "8080",
            "HOME": "/root",
        ])
        _ = environment.string("BATON_BROKER_URL")
        _ = try environment.int("BATON_HTTP_PORT")
        _ = environment.string("BATON_LOG_LEVEL")  // asked for, not set
        #expect(environment.unaskedBatonVariables == ["BATON_BROKR_URL"])
    }
}
