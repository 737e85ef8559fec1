import Foundation

/// Where a broker is and how to log in, parsed from an `amqp://` URL.
public struct AMQPEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var virtualHost: String

    public init(host: String, port: Int, user: String, password: String, virtualHost: String = "/") {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.virtualHost = virtualHost
    }

    /// Parses `amqp://user:password@host:port/vhost`. A missing path means vhost `/`
    /// (librabbitmq would read a trailing slash as the empty vhost, which a broker rejects).
    public init(url: String) throws(AMQPError) {
        guard url.hasPrefix("amqp://") else {
            throw .invalidURL(reason: "'\(Self.redact(url))' does not start with amqp://")
        }
        var rest = Substring(url.dropFirst("amqp://".count))
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
        var host = String(rest)
        var port = 5672
        if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            guard let parsed = Int(rest[rest.index(after: colon)...]), (1...65535).contains(parsed) else {
                throw .invalidURL(reason: "the port in '\(Self.redact(url))' is not a number between 1 and 65535")
            }
            port = parsed
        }
        guard !host.isEmpty else { throw .invalidURL(reason: "'\(Self.redact(url))' names no host") }
        self.init(host: host, port: port, user: user, password: password, virtualHost: vhost)
    }

    /// The URL without its password: safe for logs and error messages.
    public var description: String { "amqp://\(user)@\(host):\(port)\(virtualHost == "/" ? "" : "/" + virtualHost)" }

    /// Replaces the password of an `amqp://` URL by `***` so that a bad URL can be quoted.
    public static func redact(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}
