import BatonConfiguration
import Foundation
import Testing

@Suite struct EnvironmentOverridesTests {
    /// A misspelt variable used to be ignored without a word (the file's value won);
    /// the daemons now warn about every `BATON_…` variable no setting asked for.
    @Test func namesTheBatonVariablesNoSettingAskedFor() throws {
        let environment = EnvironmentOverrides([
            "BATON_BROKER_URL": "amqp://h", "BATON_BROKR_URL": "amqp://typo", "BATON_HTTP_PORT": "8080",
            "HOME": "/root",
        ])
        _ = try environment.string("BATON_BROKER_URL")
        _ = try environment.int("BATON_HTTP_PORT")
        _ = try environment.string("BATON_LOG_LEVEL")  // asked for, not set
        #expect(environment.unaskedBatonVariables == ["BATON_BROKR_URL"])
    }

    /// Secrets mounted as files (Docker's and Kubernetes' secrets) are read through
    /// `NAME_FILE`, without the line break an editor leaves at the end.
    @Test func aVariableCanBeReadFromTheFileItsFileVariableNames() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)")
        try Data("postgresql://baton:s3cret@db/baton\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let environment = EnvironmentOverrides(["BATON_POSTGRES_URL_FILE": file.path])
        #expect(try environment.string("BATON_POSTGRES_URL") == "postgresql://baton:s3cret@db/baton")
        #expect(environment.unaskedBatonVariables.isEmpty)
    }

    @Test func aSecretFileThatCannotBeUsedIsAnErrorThatSaysWhy() throws {
        let missing = EnvironmentOverrides(["BATON_BROKER_URL_FILE": "/nonexistent/broker-url"])
        #expect {
            try missing.string("BATON_BROKER_URL")
        } throws: { error in
            "\(error)".contains("BATON_BROKER_URL_FILE='/nonexistent/broker-url' cannot be read")
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)")
        try Data("amqp://h".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let both = EnvironmentOverrides(["BATON_BROKER_URL": "amqp://g", "BATON_BROKER_URL_FILE": file.path])
        #expect {
            try both.string("BATON_BROKER_URL")
        } throws: { error in
            "\(error)".contains("both BATON_BROKER_URL and BATON_BROKER_URL_FILE are set")
        }
        try Data("\n".utf8).write(to: file)
        #expect(throws: ConfigurationError.self) {
            try EnvironmentOverrides(["BATON_BROKER_URL_FILE": file.path]).string("BATON_BROKER_URL")
        }
    }
}
