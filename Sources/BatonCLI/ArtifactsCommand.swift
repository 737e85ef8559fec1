import ArgumentParser
import BatonContracts
import BatonSchedulerClient
import Foundation

/// `baton artifacts ID` lists the files a workflow stored; `baton artifacts ID NAME`
/// writes one to standard output, or to `--output`.
struct ArtifactsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "artifacts",
        abstract: "List a workflow's stored files (reports, exports), or fetch one.",
        discussion: """
            baton artifacts ops-1                  the files, with their types and sizes
            baton artifacts ops-1 report.md        the file, on standard output
            baton artifacts ops-1 report.md -o r.md
            """)

    @OptionGroup var scheduler: SchedulerOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The workflow id.")
    var id: String

    @Argument(help: "An artifact's name: fetch it instead of listing them.")
    var name: String?

    @Option(name: [.short, .customLong("output")], help: "Write the file here instead of standard output.")
    var file: String?

    func run() async throws {
        let client = try scheduler.client
        guard let name else {
            let artifacts = try await client.artifacts(of: id)
            if output.json { return try output.printJSON(artifacts) }
            if artifacts.isEmpty { terminalPrint("workflow \(id) has stored no files") }
            for artifact in artifacts {
                terminalPrint(
                    "\(artifact.name)  \(artifact.contentType)  \(artifact.bytes) bytes  sha256 \(artifact.sha256)")
            }
            return
        }
        let contents = try await client.artifact(name, of: id)
        if let file {
            do {
                try contents.write(to: URL(fileURLWithPath: file))
            } catch {
                throw ValidationError("cannot write \(file): \(error.localizedDescription)")
            }
            return
        }
        FileHandle.standardOutput.write(contents)
    }
}
