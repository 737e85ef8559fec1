import ArgumentParser
import BatonSchedulerClient

/// What `baton` exits with, so that a script can tell outcomes apart (listed in
/// `baton --help`).
enum CLIExit: Int32, CaseIterable {
    case success = 0
    /// The workflow failed or timed out.
    case workflowFailed = 1
    /// The workflow was cancelled.
    case workflowCancelled = 2
    /// No such workflow (or key) for this caller.
    case notFound = 3
    /// The scheduler could not be reached, or is unavailable (503): try again.
    case unreachable = 4
    /// The scheduler refused the request (400, 401, 403, 409, …): its message says why.
    case refused = 5

    static func code(for error: SchedulerClientError) -> CLIExit {
        switch error.status {
        case nil, 503?: .unreachable
        case 404?: .notFound
        default: .refused
        }
    }

    static let help = """
        Exit status:
          0  success (for watch and submit --wait: the workflow completed)
          1  the workflow failed or timed out
          2  the workflow was cancelled
          3  not found: no such workflow (or key) for your key's tenant
          4  the scheduler is unreachable or unavailable; try again
          5  the scheduler refused the request; its message says why
          64 the command line is wrong (see the command's --help)
        """

    var exitCode: ExitCode { ExitCode(rawValue) }
}
