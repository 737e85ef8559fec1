import Hummingbird

extension ScriptedLLM {
    /// Serves `rules` on a free loopback port for the duration of `body`, which gets
    /// the base URL and the server (to count its requests). For tests.
    public static func withServer<Result: Sendable>(
        _ rules: [LLMScript.Rule], _ body: @Sendable (_ baseURL: String, ScriptedLLM) async throws -> Result
    ) async throws -> Result {
        let llm = ScriptedLLM(script: LLMScript(rules: rules))
        let router = Router()
        llm.addRoutes(to: router)
        return try await LoopbackServer.with(router, label: "scripted-llm") { port in
            try await body("http://127.0.0.1:\(port)", llm)
        }
    }
}
