import ArgumentParser
import BatonContracts
import BatonSchedulerClient

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Operate the scheduler (role admin).", subcommands: [Prune.self])

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete your tenant's finished workflows past their retention.",
            discussion: """
                Applies the scheduler's retention policy (retention: in its configuration) now:
                finished workflows past their keeping time go, with their history and
                checkpoints; running ones and finished children of running parents stay.
                Says what would go and deletes nothing unless --delete is given.
                """)

        @OptionGroup var scheduler: SchedulerOptions
        @OptionGroup var output: OutputOptions
        @Flag(help: "Only say what would be deleted (the default).") var dryRun = false
        @Flag(help: "Delete them.") var delete = false

        func validate() throws {
            if dryRun && delete { throw ValidationError("--dry-run and --delete exclude each other") }
        }

        func run() async throws {
            let report = try await scheduler.client.prune(dryRun: !delete)
            if output.json { return try output.printJSON(report) }
            let verb = report.dryRun ? "would delete" : "deleted"
            terminalPrint(
                "\(verb) \(report.workflows) finished workflows, \(report.events) history entries, \(report.checkpoints) checkpoints"
            )
            for id in report.sample { terminalPrint("  \(id)") }
            if report.workflows > report.sample.count { terminalPrint("  …") }
            if report.dryRun && report.workflows > 0 { terminalPrint("(nothing deleted: run again with --delete)") }
        }
    }
}
