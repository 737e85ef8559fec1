import Foundation

/// A broken property: says which on standard error, then aborts, so that libFuzzer
/// (or a replay) stops on the input and keeps it. `scripts/fuzz.sh` greps the logs
/// for the prefix.
public enum FuzzViolation {
    public static let prefix = "BATON-FUZZ-VIOLATION"

    public static func fail(_ target: String, _ message: String) -> Never {
        FileHandle.standardError.write(Data("\(prefix) [\(target)]: \(message)\n".utf8))
        abort()
    }

    /// Fails with `message` unless `condition` holds.
    public static func check(
        _ condition: @autoclosure () -> Bool, _ target: String, _ message: @autoclosure () -> String
    ) {
        if !condition() { fail(target, message()) }
    }
}
