/// The character sets of names that travel in URLs, AMQP messages, logs and terminals.
///
/// Workflow ids and agent names are chosen by callers and end up in paths, routing
/// keys, log lines and `baton list`; restricting them to a small ASCII set keeps each
/// of those safe without escaping. Callers (people's names, service accounts) may be
/// any Unicode but control and formatting characters, which could forge log lines
/// or rewrite a terminal.
public enum Identifiers {
    public static let maximumLength = 128
    public static let maximumCallerLength = 256

    /// For error messages and the docs.
    public static let workflowIdRule =
        "1 to 128 characters among letters, digits, '-', '_', '.' and ':', starting with a letter or digit"
    public static let agentNameRule =
        "1 to 128 characters among letters, digits, '-', '_', '.' and ':', starting with a letter or digit"

    public static func isValidWorkflowId(_ id: String) -> Bool { isValidName(id) }

    public static func isValidAgentName(_ name: String) -> Bool { isValidName(name) }

    /// Nil when `caller` is acceptable, else what is wrong.
    public static func callerProblem(_ caller: String) -> String? {
        if caller.isEmpty || caller.count > maximumCallerLength {
            return "'caller' must be 1 to \(maximumCallerLength) characters when given"
        }
        if caller.unicodeScalars.contains(where: isControlOrFormat) {
            return "'caller' must not contain control or formatting characters (newlines, escapes, NUL…)"
        }
        return nil
    }

    static func isControlOrFormat(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: true
        default: false
        }
    }

    private static func isValidName(_ name: String) -> Bool {
        let scalars = name.unicodeScalars
        guard let first = scalars.first, scalars.count <= maximumLength, isLetterOrDigit(first) else { return false }
        return scalars.allSatisfy { isLetterOrDigit($0) || $0 == "-" || $0 == "_" || $0 == "." || $0 == ":" }
    }

    private static func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
