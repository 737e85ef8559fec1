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
    /// The most bytes of response (head and body, or a whole stream) to accept: beyond
    /// it the transfer is aborted with `HTTPClientError.Kind.responseTooLarge`, so that a
    /// server cannot make the client hold an unbounded answer in memory. `nil`: no limit.
    public var maxResponseBytes: Int?

    public init(
        method: String = "GET", url: String, headers: [String: String] = [:], body: Data? = nil,
        timeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(10), maxResponseBytes: Int? = nil
    ) {
        self.connectTimeout = connectTimeout
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: Data
    /// Response headers, names in lower case.
    public var headers: [String: String] = [:]
}

/// A small blocking HTTP client over libcurl, exposed as async: each request runs
/// on a thread of its own so that it never blocks Swift's cooperative pool.
///
/// Cancelling the calling task aborts the transfer within about a second (libcurl's
/// progress callback sees the cancellation), and the call fails with
/// `HTTPClientError.Kind.cancelled`.
public enum HTTPClient {
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public static func send(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        _ = globalInit
        let cancellation = TransferCancellation()
        let result: Result<HTTPResponse, HTTPClientError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread { continuation.resume(returning: perform(request, cancellation: cancellation)) }
                thread.start()
            }
        } onCancel: {
            cancellation.cancel()
        }
        return try result.get()
    }

    /// libcurl takes milliseconds as a C long: saturate rather than overflow on a huge duration.
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? 0 : Int.max }
        let total = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return total.overflow ? Int.max : max(0, Int(total.partialValue))
    }

    /// Runs the request on the calling thread. With `onPart`, the head and each body chunk
    /// are handed over as they arrive instead of being collected.
    static func perform(
        _ request: HTTPRequest, cancellation: TransferCancellation, idleTimeout: Duration? = nil,
        onPart: (@Sendable (HTTPStreamPart) -> Void)? = nil
    ) -> Result<HTTPResponse, HTTPClientError> {
        if cancellation.isCancelled {
            return .failure(HTTPClientError(url: request.url, reason: "cancelled before it was sent", kind: .cancelled))
        }
        guard let handle = curl_easy_init() else {
            return .failure(HTTPClientError(url: request.url, reason: "curl_easy_init failed"))
        }
        defer { curl_easy_cleanup(handle) }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        let sink = ResponseSink(
            handle: handle, cancellation: cancellation, maxBytes: request.maxResponseBytes, onPart: onPart)
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        let milliseconds = Self.milliseconds(request.timeout)
        let connectMilliseconds = Self.milliseconds(request.connectTimeout)
        let body = request.body ?? Data()
        let code: CURLcode = body.withUnsafeBytes { bodyBytes in
            _ = baton_curl_set_string(handle, CURLOPT_URL, request.url)
            _ = baton_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
            _ = baton_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
            _ = baton_curl_set_long(handle, CURLOPT_TIMEOUT_MS, milliseconds)
            _ = baton_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(milliseconds, connectMilliseconds))
            _ = baton_curl_set_slist(handle, CURLOPT_HTTPHEADER, headerList)
            if let idleTimeout {
                // Fewer than 1 byte/s over the idle timeout aborts the transfer.
                _ = baton_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
                _ = baton_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, Self.milliseconds(idleTimeout) / 1000))
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
                let bytes = UnsafeRawBufferPointer(start: pointer, count: size * count)
                // A short count makes libcurl abort the transfer (CURLE_WRITE_ERROR).
                return sink.receiveHeader(bytes) ? size * count : 0
            }
            _ = baton_curl_set_write_callback(handle) { pointer, size, count, context in
                guard let pointer, let context else { return 0 }
                let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
                return sink.receive(UnsafeRawBufferPointer(start: pointer, count: size * count)) ? size * count : 0
            }
            // The progress callback runs about once a second even while the server is silent,
            // so a cancelled request stops within about a second however long the reply takes.
            _ = baton_curl_set_long(handle, CURLOPT_NOPROGRESS, 0)
            _ = baton_curl_set_pointer(handle, CURLOPT_XFERINFODATA, unmanaged.toOpaque())
            _ = baton_curl_set_xferinfo_callback(handle) { context, _, _, _, _ in
                guard let context else { return 0 }
                let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
                return sink.cancellation.isCancelled ? 1 : 0
            }
            return curl_easy_perform(handle)
        }
        guard code == CURLE_OK else {
            if let limit = sink.exceededLimit {
                return .failure(
                    HTTPClientError(
                        url: request.url, reason: "the response exceeded the limit of \(limit) bytes",
                        kind: .responseTooLarge(limit: limit)))
            }
            if cancellation.isCancelled {
                return .failure(HTTPClientError(url: request.url, reason: "cancelled", kind: .cancelled))
            }
            return .failure(
                HTTPClientError(
                    url: request.url, reason: String(cString: curl_easy_strerror(code)),
                    kind: code == CURLE_OPERATION_TIMEDOUT ? .timeout : .transport))
        }
        var status = 0
        _ = baton_curl_get_response_code(handle, &status)
        return .success(HTTPResponse(status: status, body: sink.data, headers: sink.headers))
    }
}

/// Collects a response inside libcurl's callbacks (one request, one thread), counting
/// its bytes against the request's limit and watching for cancellation.
private final class ResponseSink {
    var data = Data()
    var headers: [String: String] = [:]
    /// Set when the response grew past `maxBytes`: why the transfer was aborted.
    private(set) var exceededLimit: Int?
    let cancellation: TransferCancellation
    private let handle: UnsafeMutableRawPointer
    private let maxBytes: Int?
    private var receivedBytes = 0
    private let onPart: (@Sendable (HTTPStreamPart) -> Void)?
    private var headSent = false

    init(
        handle: UnsafeMutableRawPointer, cancellation: TransferCancellation, maxBytes: Int?,
        onPart: (@Sendable (HTTPStreamPart) -> Void)?
    ) {
        self.handle = handle
        self.cancellation = cancellation
        self.maxBytes = maxBytes
        self.onPart = onPart
    }

    /// Counts `count` more bytes; false when they go past the limit (or the caller left).
    private func admit(_ count: Int) -> Bool {
        if cancellation.isCancelled { return false }
        receivedBytes += count
        if let maxBytes, receivedBytes > maxBytes {
            exceededLimit = maxBytes
            return false
        }
        return true
    }

    func receiveHeader(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard admit(bytes.count) else { return false }
        let line = String(decoding: bytes, as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers = [:]  // a new response (after a 100 Continue or a redirect): its own headers only
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return true
    }

    func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard admit(bytes.count) else { return false }
        guard let onPart else {
            data.append(contentsOf: bytes)
            return true
        }
        if !headSent {
            headSent = true
            var status = 0
            _ = baton_curl_get_response_code(handle, &status)
            onPart(.head(status: status, headers: headers))
        }
        onPart(.chunk(Data(bytes)))
        return true
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
    /// still bounds the whole exchange, and its `maxResponseBytes` the whole stream.
    /// Cancelling the consuming task, or dropping the stream, aborts the transfer.
    public static func stream(
        _ request: HTTPRequest, idleTimeout: Duration = .seconds(60)
    )
        -> AsyncThrowingStream<HTTPStreamPart, any Error>
    {
        _ = globalInit
        return AsyncThrowingStream { continuation in
            let cancellation = TransferCancellation()
            continuation.onTermination = { _ in cancellation.cancel() }
            let thread = Thread {
                let streamed = StreamedFlag()
                let result = perform(request, cancellation: cancellation, idleTimeout: idleTimeout) { part in
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
