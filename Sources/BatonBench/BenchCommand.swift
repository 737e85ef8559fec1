import ArgumentParser

@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton-bench",
        abstract: "Baton's benchmarks (build with -c release; `make bench` does).",
        subcommands: [
            GraphOverheadBenchmark.self, BurstBenchmark.self, StartLatencyBenchmark.self, CrashRecoveryBenchmark.self,
            FootprintBenchmark.self, CheckpointGrowthBenchmark.self, ConfirmLatencyBenchmark.self,
            TenantFairnessBenchmark.self,
            ChaosCommand.self,
        ])
}
