/// A configuration problem found at start, before any service runs.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The file (or "environment") the problem is in.
    public var source: String
    /// Every problem found, each naming the key and what is accepted.
    public var problems: [String]

    public init(source: String, problems: [String]) {
        self.source = source
        self.problems = problems
    }

    public var description: String {
        "invalid configuration in \(source):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
