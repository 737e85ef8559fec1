import Foundation

/// How an `amqps://` connection checks the broker and shows itself, from the URL's
/// query (the names of RabbitMQ's URI query parameters).
///
/// The broker's certificate is always checked against `cacertfile` and the host the
/// URL names, unless `verify=verify_none` says otherwise; without `cacertfile` the
/// system's CA bundle is used. TLS 1.2 is the oldest version accepted.
public struct AMQPTLSSettings: Sendable, Equatable {
    /// The CAs that may sign the broker's certificate (PEM).
    public var caCertificateFile: String
    /// A client certificate and its key (PEM), for brokers that ask for one.
    public var certificateFile: String?
    public var keyFile: String?
    /// False only with `verify=verify_none`: the connection is encrypted and the
    /// broker unchecked, so anyone between can read it.
    public var verifiesPeer: Bool

    /// Debian's bundle of the system's trusted CAs (the `ca-certificates` package).
    public static let systemCABundle = "/etc/ssl/certs/ca-certificates.crt"
    static let parameterNames = ["cacertfile", "certfile", "keyfile", "verify"]

    public init(
        caCertificateFile: String = systemCABundle, certificateFile: String? = nil, keyFile: String? = nil,
        verifiesPeer: Bool = true
    ) {
        self.caCertificateFile = caCertificateFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.verifiesPeer = verifiesPeer
    }

    /// Reads and checks the query's parameters, so that a missing file is reported at
    /// start rather than at the first connection.
    init(parameters: [String: String]) throws(AMQPError) {
        self.init(
            caCertificateFile: parameters["cacertfile"] ?? Self.systemCABundle,
            certificateFile: parameters["certfile"], keyFile: parameters["keyfile"])
        switch parameters["verify"] {
        case nil, "verify_peer": verifiesPeer = true
        case "verify_none": verifiesPeer = false
        case let other?:
            throw .invalidURL(reason: "verify=\(other) is neither verify_peer nor verify_none")
        }
        guard (certificateFile == nil) == (keyFile == nil) else {
            throw .invalidURL(reason: "certfile and keyfile go together: give both or neither")
        }
        for (name, path) in [("cacertfile", caCertificateFile), ("certfile", certificateFile), ("keyfile", keyFile)] {
            guard let path else { continue }
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw .invalidURL(
                    reason: "\(name) '\(path)' cannot be read"
                        + (name == "cacertfile" && parameters["cacertfile"] == nil
                            ? " (the system's CA bundle; install ca-certificates or give cacertfile=…)" : ""))
            }
        }
    }
}
