import Foundation
import Testing
import Yams

/// `docker/docker-compose.yml` against what the official images it runs really do
/// (`docker/official-images.json`, read offline from the images' Dockerfiles, entrypoints
/// and documentation, with the commits they come from): every variable a service sets is
/// one the image reads and has not deprecated, or one a script the service runs reads;
/// every variable those scripts require is set; health checks call binaries the image has,
/// and ask a question that means ready; the servers keep their data in the image's data
/// paths; init scripts go where the entrypoint runs them; whatever talks to the broker's
/// node has its Erlang cookie. No network, no container.
@Suite struct OfficialImagesTests {

    /// `docker/official-images.json`.
    struct Catalogue: Decodable {
        let images: [String: Image]
    }

    struct Image: Decodable {
        struct Variable: Decodable {
            let name: String
            let deprecated: Bool
            let refusedByEntrypoint: Bool
        }
        struct Readiness: Decodable {
            let anyOf: [String]
            let why: String
        }
        struct Initialization: Decodable {
            let directory: String?
            let extensions: [String]?
        }
        struct Cookie: Decodable {
            let path: String
        }
        let serverCommand: String
        let entrypointPath: String
        let environment: [Variable]
        let dataPaths: [String]
        let needsFixedHostname: Bool
        let binaries: [String]
        let healthcheckBinaries: [String]
        let healthcheckReadiness: [String: Readiness]?
        let cookie: Cookie?
        let initialization: Initialization

        enum CodingKeys: String, CodingKey {
            case serverCommand, entrypointPath, environment, dataPaths, needsFixedHostname, binaries
            case healthcheckBinaries, healthcheckReadiness, cookie
            case initialization = "init"
        }

        func variable(_ name: String) -> Variable? { environment.first { $0.name == name } }
    }

    /// One service of the compose file.
    struct Service: CustomStringConvertible {
        let name: String
        let yaml: [String: Any]

        var description: String { name }
        var image: String? { yaml["image"] as? String }
        var builds: Bool { yaml["build"] != nil }

        /// The names it sets (`environment` as a mapping or as a list of `NAME=value`).
        var environment: [String] {
            if let mapping = yaml["environment"] as? [String: Any] { return mapping.keys.sorted() }
            let list = yaml["environment"] as? [Any] ?? []
            return list.compactMap { ($0 as? String)?.split(separator: "=", maxSplits: 1).first.map(String.init) }
        }

        /// Its mounts, short (`source:target[:mode]`) or long syntax.
        var volumes: [(source: String, target: String)] {
            (yaml["volumes"] as? [Any] ?? []).compactMap { (volume: Any) -> (source: String, target: String)? in
                if let short = volume as? String {
                    let parts = short.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                    return parts.count >= 2 ? (source: parts[0], target: parts[1]) : nil
                }
                if let long = volume as? [String: Any], let target = long["target"] as? String {
                    return (source: long["source"] as? String ?? "", target: target)
                }
                return nil
            }
        }

        static func words(_ value: Any?) -> [String]? {
            if let list = value as? [Any] { return list.map { "\($0)" } }
            if let string = value as? String { return string.split(separator: " ").map(String.init) }
            return nil
        }

        var entrypoint: [String]? { Self.words(yaml["entrypoint"]) }
        var command: [String]? { Self.words(yaml["command"]) }

        /// Entrypoint and command as one text, for what inline scripts read.
        var commandText: String { ((entrypoint ?? []) + (command ?? [])).joined(separator: "\n") }

        /// Whether it runs the image's server through the image's entrypoint (the image's
        /// own, or a wrapper that ends in it), not a program of its own.
        func runsServer(of image: Image) -> Bool {
            guard let entrypoint else { return true }
            return entrypoint.joined(separator: " ").contains(
                URL(fileURLWithPath: image.entrypointPath).lastPathComponent)
        }

        /// The files of this repository it bind-mounts, with where they go.
        func mountedFiles() -> [(file: URL, target: String)] {
            volumes.compactMap { (volume: (source: String, target: String)) -> (file: URL, target: String)? in
                let file: URL
                if volume.source.hasPrefix("/") {
                    file = URL(fileURLWithPath: volume.source)
                } else if volume.source.hasPrefix(".") {
                    // Compose resolves relative sources against the compose file's folder.
                    file = OfficialImagesTests.docker.appendingPathComponent(volume.source).standardizedFileURL
                } else {
                    return nil  // a named volume
                }
                var folder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: file.path, isDirectory: &folder), !folder.boolValue else {
                    return nil
                }
                return (file: file, target: volume.target)
            }
        }

        /// The texts of the scripts it runs: the files it mounts and its inline command.
        func scripts() throws -> [String] {
            try mountedFiles().map { try String(contentsOf: $0.file, encoding: .utf8) } + [commandText]
        }

        /// The health check's words after CMD (or the shell command's words), nil if none.
        var healthcheck: [String]? {
            guard let check = yaml["healthcheck"] as? [String: Any], (check["disable"] as? Bool) != true,
                let test = Self.words(check["test"]), let first = test.first
            else { return nil }
            switch first {
            case "NONE": return nil
            case "CMD": return Array(test.dropFirst())
            case "CMD-SHELL": return test.dropFirst().joined(separator: " ").split(separator: " ").map(String.init)
            default: return test
            }
        }
    }

    static let docker = SchedulerCrashTests.root.appendingPathComponent("docker")

    static func catalogue() throws -> Catalogue {
        let data = try Data(contentsOf: docker.appendingPathComponent("official-images.json"))
        return try JSONDecoder().decode(Catalogue.self, from: data)
    }

    static func services() throws -> [Service] {
        let text = try String(contentsOf: docker.appendingPathComponent("docker-compose.yml"), encoding: .utf8)
        let file = try #require(try Yams.load(yaml: text) as? [String: Any])
        let services = try #require(file["services"] as? [String: Any])
        return services.compactMap { name, value in (value as? [String: Any]).map { Service(name: name, yaml: $0) } }
            .sorted { $0.name < $1.name }
    }

    /// The services that run one of the catalogue's images, with that image.
    static func official() throws -> [(service: Service, imageName: String, image: Image)] {
        let catalogue = try Self.catalogue()
        return try Self.services().compactMap {
            (service: Service) -> (service: Service, imageName: String, image: Image)? in
            guard let name = service.image, let image = catalogue.images[name] else { return nil }
            return (service: service, imageName: name, image: image)
        }
    }

    /// Whether `text` reads `$name` or `${name…` (not a longer name that starts with it).
    static func reads(_ text: String, _ name: String) -> Bool {
        let pattern = "\\$\\{?" + NSRegularExpression.escapedPattern(for: name) + "(?![A-Za-z0-9_])"
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return false }
        return expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// The names a script requires with `${NAME:?…}`.
    static func required(by text: String) -> [String] {
        guard let expression = try? NSRegularExpression(pattern: "\\$\\{([A-Za-z_][A-Za-z0-9_]*):\\?") else {
            return []
        }
        return expression.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    @Test func everyOfficialImageTheComposeRunsIsDescribed() throws {
        let catalogue = try Self.catalogue()
        for service in try Self.services() where !service.builds {
            let image = try #require(service.image, "\(service) has neither image nor build")
            #expect(catalogue.images[image] != nil, "\(service) runs \(image), which docker/official-images.json lacks")
        }
        #expect(try !Self.official().isEmpty)
    }

    @Test func everyVariableTheComposeSetsOnAnOfficialImageIsReadAndNotDeprecated() throws {
        for (service, imageName, image) in try Self.official() {
            let scripts = try service.scripts()
            for name in service.environment {
                if let variable = image.variable(name) {
                    #expect(
                        !variable.refusedByEntrypoint,
                        "\(service) sets \(name): the \(imageName) entrypoint exits on it")
                    #expect(!variable.deprecated, "\(service) sets \(name), which \(imageName) has deprecated")
                } else {
                    #expect(
                        scripts.contains { Self.reads($0, name) },
                        "\(service) sets \(name): neither \(imageName) nor a script the service runs reads it")
                }
            }
        }
    }

    @Test func everyVariableAMountedScriptRequiresIsSet() throws {
        for (service, _, _) in try Self.official() {
            for (file, _) in service.mountedFiles() {
                let text = try String(contentsOf: file, encoding: .utf8)
                for name in Self.required(by: text) {
                    #expect(
                        service.environment.contains(name),
                        "\(file.lastPathComponent) requires \(name), which \(service) does not set")
                }
            }
        }
    }

    @Test func healthChecksCallBinariesTheImageHasAndMeanReady() throws {
        for (service, imageName, image) in try Self.official() {
            guard let words = service.healthcheck, let first = words.first else { continue }
            let binary = URL(fileURLWithPath: first).lastPathComponent
            #expect(
                image.healthcheckBinaries.contains(binary),
                "\(service)'s health check runs \(binary), not in \(imageName)")
            #expect(image.binaries.contains(binary), "\(imageName) has no \(binary)")
            if let readiness = image.healthcheckReadiness?[binary] {
                let arguments = words.dropFirst()
                let ready = readiness.anyOf.contains { option in
                    arguments.contains { $0 == option || $0.hasPrefix(option + "=") }
                }
                #expect(ready, "\(service)'s health check \(words.joined(separator: " ")): \(readiness.why)")
            }
        }
    }

    @Test func serversKeepTheirDataInTheImagesDataPaths() throws {
        for (service, imageName, image) in try Self.official() where service.runsServer(of: image) {
            let targets = service.volumes.map { URL(fileURLWithPath: $0.target).standardizedFileURL.path }
            for path in image.dataPaths {
                #expect(targets.contains(path), "\(service) runs \(imageName) without a volume at \(path)")
            }
            if image.needsFixedHostname {
                #expect(
                    !(service.yaml["hostname"] as? String ?? "").isEmpty,
                    "\(service): \(imageName) names its node and its data after the hostname")
            }
            // A replaced entrypoint drops the image's CMD: the command must name the server.
            if service.entrypoint != nil {
                #expect(
                    service.command?.first == image.serverCommand, "\(service) does not start \(image.serverCommand)")
            } else if let first = service.command?.first {
                #expect(
                    first == image.serverCommand || first.hasPrefix("-"),
                    "\(service) does not start \(image.serverCommand)")
            }
        }
    }

    @Test func initScriptsGoWhereTheEntrypointRunsThem() throws {
        for (service, imageName, image) in try Self.official() {
            let initTargets = service.volumes.filter { $0.target.hasPrefix("/docker-entrypoint-init") }
            guard let folder = image.initialization.directory else {
                #expect(initTargets.isEmpty, "\(service): \(imageName) runs no init scripts")
                continue
            }
            for volume in initTargets {
                #expect(
                    URL(fileURLWithPath: volume.target).deletingLastPathComponent().path == folder,
                    "\(service) mounts \(volume.target) outside \(folder)")
                let extensions = image.initialization.extensions ?? []
                #expect(
                    extensions.contains { volume.target.hasSuffix($0) },
                    "\(service): the \(imageName) entrypoint ignores \(volume.target) (it runs \(extensions))")
            }
            for (file, target) in service.mountedFiles() where target.hasPrefix(folder + "/") && target.hasSuffix(".sh")
            {
                // Not executable, it would be sourced into the entrypoint's own shell.
                #expect(
                    FileManager.default.isExecutableFile(atPath: file.path),
                    "\(file.lastPathComponent) is not executable")
            }
        }
    }

    @Test func whateverTalksToTheBrokerNodeHasItsCookie() throws {
        for (service, imageName, image) in try Self.official() {
            guard let cookie = image.cookie else { continue }
            let scripts = try service.scripts()
            let usesCLI =
                service.runsServer(of: image) || service.healthcheck != nil
                || scripts.contains { $0.contains("rabbitmqctl") || $0.contains("rabbitmq-diagnostics") }
            guard usesCLI else { continue }
            let hasCookie =
                service.volumes.contains { $0.target == cookie.path }
                || service.commandText.contains(".erlang.cookie")
                || service.commandText.contains("--erlang-cookie")
                || service.environment.contains("RABBITMQ_ERLANG_COOKIE")
            #expect(hasCookie, "\(service) talks to the \(imageName) node with no way to its Erlang cookie")
        }
    }
}
