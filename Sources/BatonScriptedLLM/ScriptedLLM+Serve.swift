import BatonLifecycle
import Hummingbird
import Logging
import ServiceLifecycle

extension ScriptedLLM {
    /// Serves `rules` on a free loopback port for the duration of `body`, which gets
    /// the base URL and the server (to count its requests). For tests.
    public static func withServer<Result: Sendable>(
        _ rules: [LLMScript.Rule], _ body: @Sendable (_ baseURL: String, ScriptedLLM) async throws -> Result
    ) async throws -> Result {
        var logger = Logger(label: "scripted-llm")
        logger.logLevel = .critical
        let llm = ScriptedLLM(script: LLMScript(rules: rules))
        let router = Router()
        llm.addRoutes(to: router)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app.shutsDownGroupWhenDone], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            let result: Result
            do {
                result = try await body("http://127.0.0.1:\(port)", llm)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }
}
