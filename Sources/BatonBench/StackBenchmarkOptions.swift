import ArgumentParser
import BatonContracts
import Foundation

/// The options every benchmark that starts a stack shares.
struct StackBenchmarkOptions: ParsableArguments {
    @Option(help: "Append the result as one JSON line to this file.") var jsonOut: String?
    @Option(help: "Project root (for config/ and .run/).") var root = FileManager.default.currentDirectoryPath

    func makeStack() async throws -> BenchStack { try await BenchStack(root: URL(fileURLWithPath: root)) }

    func report(_ result: [String: JSONValue]) throws { try BenchOutput.report(.object(result), jsonOut: jsonOut) }
}
