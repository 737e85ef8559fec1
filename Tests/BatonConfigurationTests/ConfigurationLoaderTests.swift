import BatonConfiguration
import Testing

/// Issue #10 (10): a misspelt key (`postgress_url:`) silently fell back to a default.
@Suite struct ConfigurationLoaderTests {
    struct Sample: ShapedConfiguration, Equatable {
        var postgresURL: String?
        var providers: [String: [String: String]]?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case postgresURL = "postgres_url"
            case providers
        }

        static var shape: ConfigurationShape {
            .flat(
                CodingKeys.allCases.map(\.rawValue),
                except: ["providers": .dictionary(of: .flat(["model", "base_url"]))])
        }
    }

    @Test func unknownKeysAreReportedWithTheirLineAndASuggestion() {
        let yaml = """
            postgress_url: postgresql://elsewhere
            providers:
              default:
                model: x
                base_ulr: http://127.0.0.1
            """
        do {
            _ = try ConfigurationLoader.decode(Sample.self, yaml: yaml, source: "scheduler.yaml")
            Issue.record("the typos were accepted")
        } catch {
            #expect(error.problems.count == 2)
            #expect(
                error.problems.contains {
                    $0.hasPrefix("line 1: unknown key 'postgress_url' (did you mean 'postgres_url'?)")
                })
            #expect(error.problems.contains { $0.hasPrefix("line 5: unknown key 'providers.default.base_ulr'") })
            #expect(error.description.contains("scheduler.yaml"))
        }
    }

    @Test func unknownKeysAndATypeErrorAreReportedTogether() {
        do {
            _ = try ConfigurationLoader.decode(Sample.self, yaml: "postgres_url: [1]\nlog_levle: debug\n", source: "f")
            Issue.record("accepted")
        } catch {
            #expect(error.problems.count == 2)
        }
    }

    struct Typed: Decodable {
        var port: Int?
        var level: Double?
        var names: [String]?
    }

    /// Only the first type error used to be reported: fixing a file took one start per mistake.
    @Test func everyTypeErrorIsReportedWithItsLine() {
        do {
            _ = try ConfigurationLoader.decode(
                Typed.self, yaml: "port: eighty\nlevel: high\nnames: [a, [b]]\n", source: "f")
            Issue.record("accepted")
        } catch {
            #expect(error.problems.count == 3, "\(error.problems)")
            #expect(error.problems.first?.hasPrefix("line 1: 'port'") == true, "\(error.problems)")
            #expect(error.problems.contains { $0.hasPrefix("line 2: 'level'") }, "\(error.problems)")
        }
    }

    @Test func knownKeysPass() throws {
        let value = try ConfigurationLoader.decode(Sample.self, yaml: "postgres_url: a\n", source: "f")
        #expect(value.postgresURL == "a")
    }
}
