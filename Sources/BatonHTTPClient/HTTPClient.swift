import CCurl
import Foundation

/// An HTTP request for `HTTPClient`.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [String: String]
    public var body: Data?
    /// The whole exchange, connecting included.
    public var timeout: Duration
    /// Connecting alone (DNS, TCP, TLS): an unreachable server fails fast.
    public var connectTimeout: Duration

    public init(
        method: String = "GET", url: String, headers: [String: String] = [:], body: Data? = nil,
        timeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(10)
    ) {
        self.connectTimeout = connectTimeout
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: Data
    /// Response headers, names in lower case.
    public var headers: [String: String] = [:]
}

/// Why a request got no HTTP response. Carries libcurl's own message.
public struct HTTPClientError: Error, CustomStringConvertible {
    public var url: String
    public var reason: String
    /// The request ran out of time (connect, total or idle-stream limit).
    public var isTimeout = false
    public var description: String { "request to \(url) failed: \(reason)" }
}

/// A small blocking HTTP client over libcurl, exposed as async: each request runs
/// on a thread of its own so that it never blocks Swift's cooperative pool.
public enum HTTPClient {
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public static func send(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        _ = globalInit
        let result: Result<HTTPResponse, HTTPClientError> = await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: perform(request)) }
            thread.start()
        }
        return try result.get()
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    /// Runs the request on the calling thread. With `onPart`, the head and each body chunk
    /// are handed over as they arrive instead of being collected.
    static func perform(
        _ request: HTTPRequest, idleTimeout: Duration? = nil, onPart: (@Sendable (HTTPStreamPart) -> Void)? = nil
    ) -> Result<HTTPResponse, HTTPClientError> {
        guard let handle = curl_easy_init() else {
            return .failure(HTTPClientError(url: request.url, reason: "curl_easy_init failed"))
        }
        defer { curl_easy_cleanup(handle) }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        let sink = ResponseSink(handle: handle, onPart: onPart)
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        let milliseconds = Self.milliseconds(request.timeout)
        let connectMilliseconds = Self.milliseconds(request.connectTimeout)
        let body = request.body ?? Data()
        let code: CURLcode = body.withUnsafeBytes { bodyBytes in
            _ = baton_curl_set_string(handle, CURLOPT_URL, request.url)
            _ = baton_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
            _ = baton_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
            _ = baton_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Int(milliseconds))
            _ = baton_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(min(milliseconds, connectMilliseconds)))
            _ = baton_curl_set_slist(handle, CURLOPT_HTTPHEADER, headerList)
            if let idleTimeout {
                // Fewer than 1 byte/s over the idle timeout aborts the transfer.
                _ = baton_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
                _ = baton_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, Int(max(1, idleTimeout.components.seconds)))
            }
            if request.body != nil {
                _ = baton_curl_set_long(handle, CURLOPT_POSTFIELDSIZE, bodyBytes.count)
                _ = baton_curl_set_pointer(
                    handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bodyBytes.baseAddress))
            }
            _ = baton_curl_set_pointer(handle, CURLOPT_WRITEDATA, unmanaged.toOpaque())
            _ = baton_curl_set_pointer(handle, CURLOPT_HEADERDATA, unmanaged.toOpaque())
            _ = baton_curl_set_header_callback(handle) { pointer, size, count, context in
                guard let pointer, let context else { return 0 }
                let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
                let line = String(
                    decoding: UnsafeRawBufferPointer(start: pointer, count: size * count), as: UTF8.self)
                if let colon = line.firstIndex(of: ":") {
                    let name = line[..<colon].lowercased()
                    sink.headers[name] = line[line.index(after: colon)...].trimmingCharacters(
                        in: .whitespacesAndNewlines)
                }
                return size * count
            }
            _ = baton_curl_set_write_callback(handle) { pointer, size, count, context in
                guard let pointer, let context else { return 0 }
                let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
                sink.receive(Data(bytes: pointer, count: size * count))
                return size * count
            }
            return curl_easy_perform(handle)
        }
        guard code == CURLE_OK else {
            return .failure(
                HTTPClientError(
                    url: request.url, reason: String(cString: curl_easy_strerror(code)),
                    isTimeout: code == CURLE_OPERATION_TIMEDOUT))
        }
        var status = 0
        _ = baton_curl_get_response_code(handle, &status)
        return .success(HTTPResponse(status: status, body: sink.data, headers: sink.headers))
    }
}

/// Collects a response body inside libcurl's write callback (one request, one thread).
private final class ResponseSink {
    var data = Data()
    var headers: [String: String] = [:]
    private let handle: UnsafeMutableRawPointer
    private let onPart: (@Sendable (HTTPStreamPart) -> Void)?
    private var headSent = false

    init(handle: UnsafeMutableRawPointer, onPart: (@Sendable (HTTPStreamPart) -> Void)?) {
        self.handle = handle
        self.onPart = onPart
    }

    func receive(_ chunk: Data) {
        guard let onPart else {
            data.append(chunk)
            return
        }
        if !headSent {
            headSent = true
            var status = 0
            _ = baton_curl_get_response_code(handle, &status)
            onPart(.head(status: status, headers: headers))
        }
        onPart(.chunk(chunk))
    }
}

/// What a streamed response delivers: its head once, then body chunks as they arrive.
public enum HTTPStreamPart: Sendable {
    case head(status: Int, headers: [String: String])
    case chunk(Data)
}

extension HTTPClient {
    /// Sends `request` and streams the response (server-sent events, long downloads).
    /// The stream fails if no byte arrives for `idleTimeout`; the request's own timeout
    /// still bounds the whole exchange.
    public static func stream(
        _ request: HTTPRequest, idleTimeout: Duration = .seconds(60)
    )
        -> AsyncThrowingStream<HTTPStreamPart, any Error>
    {
        _ = globalInit
        return AsyncThrowingStream { continuation in
            let thread = Thread {
                let streamed = StreamedFlag()
                let result = perform(request, idleTimeout: idleTimeout) { part in
                    streamed.value = true
                    continuation.yield(part)
                }
                switch result {
                case .success(let response):
                    if !streamed.value {
                        // No body at all (an empty error response): the head still matters.
                        continuation.yield(.head(status: response.status, headers: response.headers))
                    }
                    continuation.finish()
                case .failure(let error):
                    continuation.finish(throwing: error)
                }
            }
            thread.start()
        }
    }
}

/// Set by the transfer's callbacks and read after it, all on the transfer's one thread.
private final class StreamedFlag: @unchecked Sendable {
    var value = false
}
