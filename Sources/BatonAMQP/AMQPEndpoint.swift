import Foundation

/// Where a broker is and how to log in, parsed from an `amqp://` or `amqps://` URL.
///
/// A URL may name several hosts, as libpq's do (`amqp://user:pw@h1:5672,h2:5672/vhost`):
/// the nodes of one RabbitMQ cluster. A connection tries them in order and uses the
/// first that lets it in; every reconnect starts again from the first.
public struct AMQPEndpoint: Sendable, Equatable, CustomStringConvertible {
    public struct Address: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public var description: String { "\(host):\(port)" }
    }

    /// Tried in this order; never empty.
    public var addresses: [Address]
    public var user: String
    public var password: String
    public var virtualHost: String
    /// Set for `amqps://`.
    public var tls: AMQPTLSSettings?

    public init(
        host: String, port: Int, user: String, password: String, virtualHost: String = "/",
        tls: AMQPTLSSettings? = nil
    ) {
        self.init(
            addresses: [Address(host: host, port: port)], user: user, password: password, virtualHost: virtualHost,
            tls: tls)
    }

    public init(
        addresses: [Address], user: String, password: String, virtualHost: String = "/", tls: AMQPTLSSettings? = nil
    ) {
        precondition(!addresses.isEmpty, "an AMQP endpoint needs at least one address")
        self.addresses = addresses
        self.user = user
        self.password = password
        self.virtualHost = virtualHost
        self.tls = tls
    }

    /// The first address's host.
    public var host: String { addresses[0].host }
    /// The first address's port.
    public var port: Int { addresses[0].port }

    /// Parses `amqp[s]://user:password@host:port[,host:port…]/vhost[?query]`. A missing
    /// path means vhost `/` (librabbitmq would read a trailing slash as the empty vhost,
    /// which a broker rejects). The query takes RabbitMQ's URI parameters for TLS —
    /// `cacertfile`, `certfile`, `keyfile`, `verify` — and only with `amqps://`.
    public init(url: String) throws(AMQPError) {
        let secure: Bool
        if url.hasPrefix("amqps://") {
            secure = true
        } else if url.hasPrefix("amqp://") {
            secure = false
        } else {
            throw .invalidURL(reason: "'\(Self.redact(url))' does not start with amqp:// or amqps://")
        }
        var rest = Substring(url.drop { $0 != "/" }.dropFirst(2))
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var vhost = "/"
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty { vhost = String(path).removingPercentEncoding ?? String(path) }
            rest = rest[..<slash]
        }
        var user = "guest"
        var password = "guest"
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                user = String(credentials[..<colon]).removingPercentEncoding ?? ""
                password = String(credentials[credentials.index(after: colon)...]).removingPercentEncoding ?? ""
            } else {
                user = String(credentials).removingPercentEncoding ?? ""
            }
        }
        let defaultPort = secure ? 5671 : 5672
        var addresses: [Address] = []
        for hostAndPort in rest.split(separator: ",", omittingEmptySubsequences: false) {
            var host = String(hostAndPort)
            var port = defaultPort
            if let colon = hostAndPort.lastIndex(of: ":") {
                host = String(hostAndPort[..<colon])
                guard let parsed = Int(hostAndPort[hostAndPort.index(after: colon)...]), (1...65535).contains(parsed)
                else {
                    throw .invalidURL(
                        reason: "the port in '\(Self.redact(url))' is not a number between 1 and 65535")
                }
                port = parsed
            }
            guard !host.isEmpty else { throw .invalidURL(reason: "'\(Self.redact(url))' names a host without a name") }
            addresses.append(Address(host: host, port: port))
        }
        let parameters = try Self.parameters(query, of: url)
        if !secure, let name = parameters.keys.sorted().first {
            throw .invalidURL(
                reason: "'\(name)' in '\(Self.redact(url))' is a TLS setting, and the URL does not start with amqps://")
        }
        self.init(
            addresses: addresses, user: user, password: password, virtualHost: vhost,
            tls: secure ? try AMQPTLSSettings(parameters: parameters) : nil)
    }

    private static func parameters(_ query: Substring, of url: String) throws(AMQPError) -> [String: String] {
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&") {
            // Never empty with empty pieces kept: "?=" gives the name "".
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard AMQPTLSSettings.parameterNames.contains(name) else {
                throw .invalidURL(
                    reason: "'\(Self.redact(url))' has the unknown parameter '\(name)'; known: "
                        + AMQPTLSSettings.parameterNames.joined(separator: ", "))
            }
            let value = parts.count > 1 ? String(parts[1]) : ""
            parameters[name] = value.removingPercentEncoding ?? value
        }
        return parameters
    }

    /// A warning for the daemon's start when this endpoint's traffic, credentials
    /// included, crosses a network in the clear or to an unverified broker.
    public var transportWarning: String? {
        let remote = addresses.filter { address in
            !(address.host == "localhost" || address.host == "::1" || address.host.hasPrefix("127."))
        }
        guard !remote.isEmpty else { return nil }
        let hosts = remote.map(\.host).joined(separator: ", ")
        guard let tls else {
            return
                "broker_url reaches \(hosts) in the clear, password included; use amqps:// (port 5671) and cacertfile=…"
        }
        guard tls.verifiesPeer else {
            return
                "broker_url reaches \(hosts) with verify=verify_none: the broker is not checked; remove it and give cacertfile=…"
        }
        return nil
    }

    /// The URL without its password: safe for logs and error messages.
    public var description: String {
        let hosts = addresses.map(\.description).joined(separator: ",")
        let scheme = tls == nil ? "amqp" : "amqps"
        return "\(scheme)://\(user)@\(hosts)\(virtualHost == "/" ? "" : "/" + virtualHost)"
    }

    /// Replaces the password of an `amqp://` URL by `***` so that a bad URL can be quoted.
    public static func redact(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}
