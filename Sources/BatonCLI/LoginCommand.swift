import ArgumentParser
import BatonSchedulerClient
import Foundation

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Check an API key with the scheduler and save it for later commands.",
        discussion: """
            Reads the key from standard input (paste it, or pipe it in), asks the scheduler who it belongs to, and saves it, readable by you only, in \(SavedCredential.path). BATON_API_KEY and --api-key-file still win over the saved key. 'baton login --forget' removes it.
            """)

    @Option(name: .customLong("scheduler"), help: "The scheduler's base URL (env BATON_SCHEDULER_URL).")
    var schedulerURL: String?

    @Flag(help: "Remove the saved key.")
    var forget = false

    func run() async throws {
        if forget {
            try? FileManager.default.removeItem(atPath: SavedCredential.path)
            terminalPrint("removed the saved key (\(SavedCredential.path))")
            return
        }
        FileHandle.standardError.write(Data("API key: ".utf8))
        guard let line = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces), !line.isEmpty else {
            throw ValidationError("no key was given on standard input")
        }
        let options = try SchedulerOptions.parse(schedulerURL.map { ["--scheduler", $0] } ?? [])
        let identity = try await SchedulerClient(baseURL: options.baseURL, credential: line).identity()
        try SavedCredential.save(line)
        terminalPrint(
            "logged in to \(options.baseURL) as \(identity.subject) (tenant \(identity.tenant); roles \(identity.roles.joined(separator: ", "))); key saved in \(SavedCredential.path)"
        )
    }
}

/// The key `baton login` saved: a file only its owner can read.
enum SavedCredential {
    static var path: String {
        let environment = ProcessInfo.processInfo.environment
        let base =
            environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".config")
        return ((base as NSString).appendingPathComponent("baton") as NSString).appendingPathComponent("api-key")
    }

    static func read() -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return key.isEmpty ? nil : key
    }

    static func save(_ key: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Created readable by its owner only before the key is written into it.
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(path)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        try Data((key + "\n").utf8).write(to: URL(fileURLWithPath: path))
    }
}
