import HTTPTypes
import Hummingbird
import OpenAPIHummingbird
import OpenAPIRuntime
import Synchronization

/// The routes the scheduler serves, by path template, so that a request for a known
/// path with a method it does not serve is a 405 naming the methods it does (`Allow`),
/// not a 404 that says the path does not exist.
final class RouteTable: Sendable {
    private let routes = Mutex<[(segments: [Substring], method: HTTPRequest.Method)]>([])

    /// `path` as the generated code gives it: `/v1/workflows/{id}`.
    func add(_ method: HTTPRequest.Method, _ path: String) {
        let segments = path.split(separator: "/")
        routes.withLock { $0.append((segments, method)) }
    }

    /// The methods served at `path`, sorted; empty when no route has its shape.
    func methods(at path: String) -> [HTTPRequest.Method] {
        let requested = path.split(separator: "/")
        let methods = routes.withLock { routes in
            routes.filter { route in
                route.segments.count == requested.count
                    && zip(route.segments, requested).allSatisfy { template, segment in
                        (template.hasPrefix("{") && template.hasSuffix("}")) || template == segment
                    }
            }.map(\.method)
        }
        return Array(Set(methods)).sorted { $0.rawValue < $1.rawValue }
    }
}

/// Registers what the generated code registers on the router, and notes it in a table.
struct RecordingTransport: ServerTransport {
    let router: Router<BasicRequestContext>
    let table: RouteTable

    func register(
        _ handler:
            @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (
                HTTPResponse, HTTPBody?
            ),
        method: HTTPRequest.Method, path: String
    ) throws {
        table.add(method, path)
        router.register(handler, method: method, path: path)
    }
}
