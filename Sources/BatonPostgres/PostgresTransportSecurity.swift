/// Whether a libpq connection string leaves the database unverified over a network.
///
/// libpq's default, `sslmode=prefer`, encrypts when the server offers TLS but checks
/// no certificate, so anyone on the path can pose as the server. Only `verify-full`
/// (or `verify-ca`) checks it; over loopback or a Unix socket nothing is on the path.
public enum PostgresTransportSecurity {
    /// A warning for the daemon's start, or nil when the connection is verified or local.
    public static func warning(for connectionString: String) -> String? {
        let verified = ["sslmode=verify-full", "sslmode=verify-ca"].contains { connectionString.contains($0) }
        guard !verified else { return nil }
        let remote = hosts(in: connectionString).filter { !isLocal($0) }
        guard !remote.isEmpty else { return nil }
        return "postgres_url reaches \(remote.joined(separator: ", ")) without verifying the server's certificate; "
            + "add sslmode=verify-full&sslrootcert=/path/to/ca.pem (libpq's default, prefer, verifies nothing)"
    }

    /// The hosts of a `postgresql://` URL or of `host=` in key=value form.
    static func hosts(in connectionString: String) -> [String] {
        var list: Substring
        if let scheme = connectionString.range(of: "://") {
            list = connectionString[scheme.upperBound...]
            if let at = list.lastIndex(of: "@") { list = list[list.index(after: at)...] }
            list = list.prefix { $0 != "/" && $0 != "?" }
            if list.isEmpty, let host = parameter("host", in: connectionString) { list = Substring(host) }
        } else {
            list = Substring(parameter("host", in: connectionString) ?? "")
        }
        return list.split(separator: ",").map { entry in
            // [::1]:5432, host:5432, host
            if entry.hasPrefix("["), let close = entry.firstIndex(of: "]") {
                return String(entry[entry.index(after: entry.startIndex)..<close])
            }
            return String(entry.prefix { $0 != ":" })
        }
    }

    /// `name`'s value in a URL's query or in key=value form.
    private static func parameter(_ name: String, in connectionString: String) -> String? {
        let key = name + "="
        let start: String.Index
        if connectionString.hasPrefix(key) {
            start = connectionString.index(connectionString.startIndex, offsetBy: key.count)
        } else if let found = ["?", "&", " "].lazy.compactMap({ connectionString.range(of: $0 + key) }).first {
            start = found.upperBound
        } else {
            return nil
        }
        return String(connectionString[start...].prefix { $0 != "&" && $0 != " " })
    }

    private static func isLocal(_ host: String) -> Bool {
        host.isEmpty || host.hasPrefix("/") || host == "localhost" || host == "::1" || host.hasPrefix("127.")
            || host.hasPrefix("%2F")
    }
}
