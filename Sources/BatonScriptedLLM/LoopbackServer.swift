import BatonLifecycle
import Hummingbird
import Logging
import ServiceLifecycle

/// A test's HTTP server: `router` on a free loopback port for the duration of `body`,
/// which gets the port. (The scripted model server and the tests' stand-ins use it.)
public enum LoopbackServer {
    public static func with<Result: Sendable>(
        _ router: Router<BasicRequestContext>, label: String, _ body: @Sendable (_ port: Int) async throws -> Result
    ) async throws -> Result {
        var logger = Logger(label: label)
        logger.logLevel = .critical
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
                result = try await body(port)
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
