import CRabbitMQ
import Foundation
import ThreadConfinement

/// One AMQP 0-9-1 connection with one channel, confined to a thread of its own.
///
/// librabbitmq connections are not thread-safe and answer broker heartbeats only
/// while being called; this actor runs every call on its dedicated thread, and its
/// owner keeps calling (`nextDelivery(timeout:)` or `keepAlive()`) even when idle.
/// After any connection-level error the connection is closed for good: create a new
/// one (the owner's reconnect loop decides the back-off).
public actor AMQPConnection {
    private let executor: DedicatedThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    public nonisolated let endpoint: AMQPEndpoint
    /// Shown by the broker (`rabbitmqctl list_connections client_properties`).
    public nonisolated let name: String
    private var state: amqp_connection_state_t?
    private let channel: amqp_channel_t = 1
    private var confirmsEnabled = false
    private var nextPublishTag: UInt64 = 1
    private var unconfirmed: Set<UInt64> = []
    private var refused: Set<UInt64> = []
    private var returned: [(routingKey: String, text: String)] = []
    private nonisolated let waitInterruption = WaitInterruption()

    private init(endpoint: AMQPEndpoint, name: String) {
        self.endpoint = endpoint
        self.name = name
        self.executor = DedicatedThreadExecutor(name: "amqp-\(name)")
    }

    /// Opens a connection and its channel. `heartbeat` is in seconds (0 disables it).
    public static func connect(
        to endpoint: AMQPEndpoint, name: String, heartbeat: Int = 30
    ) async throws(AMQPError) -> AMQPConnection {
        let connection = AMQPConnection(endpoint: endpoint, name: name)
        try await connection.open(heartbeat: heartbeat)
        return connection
    }

    isolated deinit {
        if let state {
            amqp_destroy_connection(state)
        }
        executor.shutdown()
    }

    /// True until the connection is closed or broken.
    public var isOpen: Bool { state != nil }

    /// Tries each of the endpoint's addresses in turn; the error names why each failed.
    private func open(heartbeat: Int) throws(AMQPError) {
        var failures: [String] = []
        for address in endpoint.addresses {
            do {
                state = try Self.login(to: address, of: endpoint, name: name, heartbeat: heartbeat)
                break
            } catch {
                failures.append(endpoint.addresses.count > 1 ? "\(address): \(error.reason)" : error.reason)
            }
        }
        guard state != nil else {
            throw .connectionFailed(endpoint: endpoint.description, reason: failures.joined(separator: "; "))
        }
        amqp_channel_open(state, channel)
        try checkReply(operation: "channel.open")
    }

    private struct LoginFailure: Error {
        var reason: String
    }

    private static func login(
        to address: AMQPEndpoint.Address, of endpoint: AMQPEndpoint, name: String, heartbeat: Int
    ) throws(LoginFailure) -> amqp_connection_state_t {
        guard let state = amqp_new_connection() else { throw LoginFailure(reason: "out of memory") }
        var keep = false
        defer { if !keep { amqp_destroy_connection(state) } }
        let socket: OpaquePointer
        if let tls = endpoint.tls {
            socket = try tlsSocket(state, tls)
        } else {
            guard let tcp = amqp_tcp_socket_new(state) else { throw LoginFailure(reason: "cannot create a socket") }
            socket = tcp
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        let status = amqp_socket_open_noblock(socket, address.host, Int32(address.port), &timeout)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw LoginFailure(reason: openFailure(status, address: address, tls: endpoint.tls))
        }
        let arena = CByteArena()
        var properties = arena.table(["connection_name": name, "product": "baton"])
        let login = baton_amqp_login_plain_with_properties(
            state, endpoint.virtualHost, 131_072, Int32(heartbeat), &properties, endpoint.user, endpoint.password)
        if let error = replyError(login, operation: "login") {
            if case .library = error { throw LoginFailure(reason: "\(error)") }
            throw LoginFailure(reason: "login refused (\(error)); check user, password and vhost")
        }
        keep = true
        return state
    }

    private static func tlsSocket(
        _ state: amqp_connection_state_t, _ tls: AMQPTLSSettings
    ) throws(LoginFailure) -> OpaquePointer {
        guard let socket = amqp_ssl_socket_new(state) else {
            throw LoginFailure(reason: "cannot create a TLS socket (OpenSSL did not start)")
        }
        let verify: amqp_boolean_t = tls.verifiesPeer ? 1 : 0
        amqp_ssl_socket_set_verify_peer(socket, verify)
        amqp_ssl_socket_set_verify_hostname(socket, verify)
        _ = amqp_ssl_socket_set_ssl_versions(socket, AMQP_TLSv1_2, AMQP_TLSvLATEST)
        guard amqp_ssl_socket_set_cacert(socket, tls.caCertificateFile) == AMQP_STATUS_OK.rawValue else {
            throw LoginFailure(
                reason: "cacertfile '\(tls.caCertificateFile)' holds no PEM certificate OpenSSL can read")
        }
        if let certificate = tls.certificateFile, let key = tls.keyFile,
            amqp_ssl_socket_set_key(socket, certificate, key) != AMQP_STATUS_OK.rawValue
        {
            throw LoginFailure(
                reason: "certfile '\(certificate)' and keyfile '\(key)' are not a PEM certificate and its key")
        }
        return socket
    }

    /// librabbitmq's text, and for TLS what the operator should check.
    private static func openFailure(_ status: Int32, address: AMQPEndpoint.Address, tls: AMQPTLSSettings?) -> String {
        let text = statusText(status)
        guard let tls else { return text }
        switch status {
        case AMQP_STATUS_SSL_PEER_VERIFY_FAILED.rawValue:
            return "\(text): the broker's certificate is not signed by a CA in '\(tls.caCertificateFile)'"
        case AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED.rawValue:
            return "\(text): the broker's certificate does not name '\(address.host)'; use the name it was issued for"
        case AMQP_STATUS_SSL_CONNECTION_FAILED.rawValue, AMQP_STATUS_SSL_ERROR.rawValue:
            return
                "\(text): is \(address) the broker's TLS listener (5671 by default), and does it accept TLS 1.2 or later?"
        default:
            return text
        }
    }

    /// Closes the channel and the connection. Safe to call more than once.
    public func close() {
        guard let state else { return }
        _ = amqp_channel_close(state, channel, Int32(AMQP_REPLY_SUCCESS))
        _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
        amqp_destroy_connection(state)
        self.state = nil
    }

    // MARK: Topology

    /// Declares a durable queue (idempotent when the arguments match).
    public func declareQueue(_ name: String, arguments: [String: AMQPArgument] = [:]) throws(AMQPError) {
        let state = try openState()
        let arena = CByteArena()
        _ = amqp_queue_declare(state, channel, arena.bytes(name), 0, 1, 0, 0, arena.table(arguments))
        try checkReply(operation: "queue.declare '\(name)'")
    }

    /// Declares a durable exchange of `type` (`fanout`, `direct`, `topic`).
    public func declareExchange(_ name: String, type: String) throws(AMQPError) {
        let state = try openState()
        let arena = CByteArena()
        _ = amqp_exchange_declare(state, channel, arena.bytes(name), arena.bytes(type), 0, 1, 0, 0, amqp_table_t())
        try checkReply(operation: "exchange.declare '\(name)'")
    }

    /// Declares a queue only this connection uses, deleted when the connection closes.
    public func declareExclusiveQueue(_ name: String) throws(AMQPError) {
        let state = try openState()
        let arena = CByteArena()
        _ = amqp_queue_declare(state, channel, arena.bytes(name), 0, 0, 1, 1, amqp_table_t())
        try checkReply(operation: "queue.declare '\(name)'")
    }

    /// Declares a queue only this connection uses, deleted when the connection closes,
    /// and binds it to `exchange`. Returns the queue's name.
    public func declareExclusiveQueue(_ name: String, boundTo exchange: String) throws(AMQPError) {
        try declareExclusiveQueue(name)
        let state = try openState()
        let arena = CByteArena()
        _ = amqp_queue_bind(state, channel, arena.bytes(name), arena.bytes(exchange), arena.bytes(""), amqp_table_t())
        try checkReply(operation: "queue.bind '\(name)' to '\(exchange)'")
    }

    /// Binds `queue` to `exchange` for messages with `routingKey` (idempotent).
    public func bindQueue(_ queue: String, to exchange: String, routingKey: String) throws(AMQPError) {
        let state = try openState()
        let arena = CByteArena()
        _ = amqp_queue_bind(
            state, channel, arena.bytes(queue), arena.bytes(exchange), arena.bytes(routingKey), amqp_table_t())
        try checkReply(operation: "queue.bind '\(queue)' to '\(exchange)'")
    }

    /// Removes a binding (idempotent while the queue exists).
    public func unbindQueue(_ queue: String, from exchange: String, routingKey: String) throws(AMQPError) {
        let state = try openState()
        let arena = CByteArena()
        _ = amqp_queue_unbind(
            state, channel, arena.bytes(queue), arena.bytes(exchange), arena.bytes(routingKey), amqp_table_t())
        try checkReply(operation: "queue.unbind '\(queue)' from '\(exchange)'")
    }

    /// Deletes a queue and the messages in it. With `ifEmpty` the broker refuses (and
    /// closes the connection) when the queue holds a message.
    public func deleteQueue(_ name: String, ifEmpty: Bool = false) throws(AMQPError) {
        let state = try openState()
        let arena = CByteArena()
        _ = amqp_queue_delete(state, channel, arena.bytes(name), 0, ifEmpty ? 1 : 0)
        try checkReply(operation: "queue.delete '\(name)'")
    }

    /// The number of ready (unacknowledged messages excluded) messages in a queue.
    public func messageCount(_ name: String) throws(AMQPError) -> Int {
        try queueCounts(name).messages
    }

    /// The number of consumers subscribed to a queue.
    public func consumerCount(_ name: String) throws(AMQPError) -> Int {
        try queueCounts(name).consumers
    }

    private func queueCounts(_ name: String) throws(AMQPError) -> (messages: Int, consumers: Int) {
        let state = try openState()
        let arena = CByteArena()
        let ok = amqp_queue_declare(state, channel, arena.bytes(name), 1, 0, 0, 0, amqp_table_t())
        try checkReply(operation: "queue.declare (passive) '\(name)'")
        return (Int(ok?.pointee.message_count ?? 0), Int(ok?.pointee.consumer_count ?? 0))
    }

    // MARK: Publishing

    /// Switches the channel to publisher-confirm mode (idempotent).
    public func enableConfirms() throws(AMQPError) {
        guard !confirmsEnabled else { return }
        let state = try openState()
        _ = amqp_confirm_select(state, channel)
        try checkReply(operation: "confirm.select")
        confirmsEnabled = true
    }

    /// Publishes messages and, in confirm mode, waits until the broker has taken
    /// responsibility for every one of them (persisted, for persistent messages on
    /// durable queues). Throws if any is refused or reaches no queue.
    public func publish(_ messages: [AMQPMessage], confirmTimeout: Duration = .seconds(30)) throws(AMQPError) {
        let state = try openState()
        var tags: [UInt64] = []
        tags.reserveCapacity(messages.count)
        for message in messages {
            let arena = CByteArena()
            var properties = amqp_basic_properties_t()
            properties._flags = baton_amqp_basic_content_type_flag | baton_amqp_basic_delivery_mode_flag
            properties.content_type = arena.bytes(message.contentType)
            properties.delivery_mode = message.persistent ? 2 : 1
            if !message.headers.isEmpty {
                properties._flags |= baton_amqp_basic_headers_flag
                properties.headers = arena.table(message.headers)
            }
            let status = amqp_basic_publish(
                state, channel, arena.bytes(message.exchange), arena.bytes(message.routingKey),
                confirmsEnabled && message.mandatory ? 1 : 0, 0, &properties, arena.bytes(message.body))
            guard status == AMQP_STATUS_OK.rawValue else {
                throw fail(.library(operation: "basic.publish", reason: Self.statusText(status)))
            }
            if confirmsEnabled {
                tags.append(nextPublishTag)
                unconfirmed.insert(nextPublishTag)
                nextPublishTag += 1
            }
        }
        guard confirmsEnabled else { return }
        try waitForConfirms(tags, timeout: confirmTimeout)
        let refusedHere = tags.filter { refused.remove($0) != nil }
        if let first = returned.first {
            returned.removeAll()
            throw .unroutable(routingKey: first.routingKey, text: first.text)
        }
        if !refusedHere.isEmpty {
            throw .publishRefused(routingKey: messages.first?.routingKey ?? "")
        }
    }

    private func waitForConfirms(_ tags: [UInt64], timeout: Duration) throws(AMQPError) {
        let state = try openState()
        let deadline = ContinuousClock.now + timeout
        while tags.contains(where: { unconfirmed.contains($0) }) {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                throw .library(operation: "publisher confirm", reason: "no confirm from the broker within \(timeout)")
            }
            var frame = amqp_frame_t()
            var wait = Self.cTimeout(remaining)
            let status = amqp_simple_wait_frame_noblock(state, &frame, &wait)
            if status == AMQP_STATUS_TIMEOUT.rawValue { continue }
            guard status == AMQP_STATUS_OK.rawValue else {
                throw fail(.library(operation: "publisher confirm", reason: Self.statusText(status)))
            }
            try handleAsynchronousFrame(frame)
        }
    }

    /// Handles a frame that arrived outside an RPC: confirms, returns and closes.
    private func handleAsynchronousFrame(_ frame: amqp_frame_t) throws(AMQPError) {
        guard frame.frame_type == AMQP_FRAME_METHOD else { return }
        let method = frame.payload.method
        switch method.id {
        case baton_amqp_basic_ack_method:
            let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            settle(tag: ack.delivery_tag, multiple: ack.multiple != 0, refused: false)
        case baton_amqp_basic_nack_method:
            let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            settle(tag: nack.delivery_tag, multiple: nack.multiple != 0, refused: true)
        case baton_amqp_basic_return_method:
            let ret = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            returned.append((ret.routing_key.string, "\(ret.reply_code) \(ret.reply_text.string)"))
            var message = amqp_message_t()
            if let state {
                _ = amqp_read_message(state, frame.channel, &message, 0)
                amqp_destroy_message(&message)
            }
        case baton_amqp_channel_close_method:
            let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            throw fail(.closedByBroker(code: close.reply_code, text: close.reply_text.string))
        case baton_amqp_connection_close_method:
            let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            throw fail(.closedByBroker(code: close.reply_code, text: close.reply_text.string))
        default:
            break
        }
    }

    private func settle(tag: UInt64, multiple: Bool, refused isRefused: Bool) {
        let settled = multiple ? unconfirmed.filter { $0 <= tag } : [tag]
        for settledTag in settled {
            unconfirmed.remove(settledTag)
            if isRefused { refused.insert(settledTag) }
        }
    }

    /// Services heartbeats and notices a closed connection on an otherwise idle
    /// publishing connection. Call it every few seconds.
    public func keepAlive() throws(AMQPError) {
        let state = try openState()
        var frame = amqp_frame_t()
        var wait = timeval(tv_sec: 0, tv_usec: 0)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &wait)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return }
        guard status == AMQP_STATUS_OK.rawValue else {
            throw fail(.library(operation: "heartbeat", reason: Self.statusText(status)))
        }
        try handleAsynchronousFrame(frame)
    }

    // MARK: Consuming

    /// Limits unacknowledged deliveries to `count` for each consumer started afterwards
    /// (RabbitMQ's per-consumer prefetch): consumers already running keep their limit,
    /// and a consumer's limit counts only what was delivered to it.
    public func setPrefetch(_ count: UInt16) throws(AMQPError) {
        let state = try openState()
        _ = amqp_basic_qos(state, channel, 0, count, 0)
        try checkReply(operation: "basic.qos")
    }

    /// Starts consuming `queue` with manual acknowledgements; returns the consumer tag.
    /// Without `acknowledging`, the broker forgets each message as it sends it: only for
    /// what may be lost (a prefetch limit does not apply then).
    @discardableResult
    public func consume(_ queue: String, acknowledging: Bool = true) throws(AMQPError) -> String {
        let state = try openState()
        let arena = CByteArena()
        let ok = amqp_basic_consume(
            state, channel, arena.bytes(queue), amqp_bytes_t(), 0, acknowledging ? 0 : 1, 0, amqp_table_t())
        try checkReply(operation: "basic.consume '\(queue)'")
        return ok?.pointee.consumer_tag.string ?? ""
    }

    /// Stops a consumer: the broker sends it nothing more (unacknowledged deliveries stay
    /// with this connection until acknowledged or the connection closes).
    public func cancelConsumer(_ tag: String) throws(AMQPError) {
        let state = try openState()
        let arena = CByteArena()
        _ = amqp_basic_cancel(state, channel, arena.bytes(tag))
        try checkReply(operation: "basic.cancel '\(tag)'")
    }

    /// Waits up to `timeout` for the next delivery; nil when none arrived in time, or
    /// when an acknowledgement is waiting for this connection (it ends the wait early;
    /// one made while no wait ran ends the next one at once). So a nil does not prove
    /// that nothing came for `timeout`: a loop that drains must keep its own clock.
    public func nextDelivery(timeout: Duration) throws(AMQPError) -> AMQPDelivery? {
        let state = try openState()
        amqp_maybe_release_buffers(state)
        var wait = Self.cTimeout(timeout)
        if waitInterruption.descriptor >= 0, amqp_frames_enqueued(state) == 0, amqp_data_in_buffer(state) == 0 {
            // Wait here rather than in librabbitmq, so that a signal can end the wait; then
            // read without blocking (which also sends a heartbeat that is due). A plain TCP
            // socket holds no decoded data outside librabbitmq's buffer, checked above; nor
            // does TLS: OpenSSL reads one record at a time (no read-ahead), and
            // librabbitmq's buffer (frame_max) holds a whole record.
            var sockets = [
                pollfd(fd: amqp_get_sockfd(state), events: Int16(POLLIN), revents: 0),
                pollfd(fd: waitInterruption.descriptor, events: Int16(POLLIN), revents: 0),
            ]
            let milliseconds = Int32(
                clamping: max(0, timeout.components.seconds) * 1000 + timeout.components.attoseconds
                    / 1_000_000_000_000_000)
            _ = poll(&sockets, 2, timeout > .zero ? max(1, milliseconds) : 0)
            if sockets[1].revents != 0 { waitInterruption.clear() }
            wait = timeval(tv_sec: 0, tv_usec: 0)
        }
        var envelope = amqp_envelope_t()
        let reply = amqp_consume_message(state, &envelope, &wait, 0)
        if reply.reply_type == AMQP_RESPONSE_NORMAL {
            defer { amqp_destroy_envelope(&envelope) }
            let properties = envelope.message.properties
            let hasHeaders = properties._flags & baton_amqp_basic_headers_flag != 0
            return AMQPDelivery(
                deliveryTag: envelope.delivery_tag, exchange: envelope.exchange.string,
                routingKey: envelope.routing_key.string,
                body: envelope.message.body.data, headers: hasHeaders ? properties.headers.stringEntries : [:],
                redelivered: envelope.redelivered != 0, consumerTag: envelope.consumer_tag.string)
        }
        if reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION {
            if reply.library_error == AMQP_STATUS_TIMEOUT.rawValue { return nil }
            if reply.library_error == AMQP_STATUS_UNEXPECTED_STATE.rawValue {
                // A method other than basic.deliver arrived (a close, a confirm): read it.
                var frame = amqp_frame_t()
                let status = amqp_simple_wait_frame(state, &frame)
                guard status == AMQP_STATUS_OK.rawValue else {
                    throw fail(.library(operation: "consume", reason: Self.statusText(status)))
                }
                try handleAsynchronousFrame(frame)
                return nil
            }
        }
        throw fail(Self.replyError(reply, operation: "consume") ?? .connectionClosed)
    }

    /// Fetches one message with `basic.get` (no consumer needed); nil when the queue is empty.
    public func get(_ queue: String) throws(AMQPError) -> AMQPDelivery? {
        let state = try openState()
        amqp_maybe_release_buffers(state)
        let arena = CByteArena()
        let reply = amqp_basic_get(state, channel, arena.bytes(queue), 0)
        if let error = Self.replyError(reply, operation: "basic.get '\(queue)'") { throw fail(error) }
        guard reply.reply.id == baton_amqp_basic_get_ok_method else { return nil }
        let ok = reply.reply.decoded.assumingMemoryBound(to: amqp_basic_get_ok_t.self).pointee
        var message = amqp_message_t()
        let read = amqp_read_message(state, channel, &message, 0)
        if let error = Self.replyError(read, operation: "basic.get '\(queue)'") { throw fail(error) }
        defer { amqp_destroy_message(&message) }
        let hasHeaders = message.properties._flags & baton_amqp_basic_headers_flag != 0
        return AMQPDelivery(
            deliveryTag: ok.delivery_tag, exchange: ok.exchange.string, routingKey: ok.routing_key.string,
            body: message.body.data,
            headers: hasHeaders ? message.properties.headers.stringEntries : [:], redelivered: ok.redelivered != 0)
    }

    /// Acknowledges a delivery received on this connection.
    /// Ends a `nextDelivery` wait that holds the connection's thread, then acknowledges.
    public nonisolated func ack(_ deliveryTag: UInt64, multiple: Bool = false) async throws(AMQPError) {
        waitInterruption.signal()
        try await acknowledge(deliveryTag, multiple: multiple)
    }

    private func acknowledge(_ deliveryTag: UInt64, multiple: Bool) throws(AMQPError) {
        let state = try openState()
        let status = amqp_basic_ack(state, channel, deliveryTag, multiple ? 1 : 0)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw fail(.library(operation: "basic.ack", reason: Self.statusText(status)))
        }
    }

    /// Rejects a delivery; with `requeue` the broker delivers it again (to any consumer).
    public func reject(_ deliveryTag: UInt64, requeue: Bool) throws(AMQPError) {
        let state = try openState()
        let status = amqp_basic_reject(state, channel, deliveryTag, requeue ? 1 : 0)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw fail(.library(operation: "basic.reject", reason: Self.statusText(status)))
        }
    }

    // MARK: Errors

    private func openState() throws(AMQPError) -> amqp_connection_state_t {
        guard let state else { throw .connectionClosed }
        return state
    }

    private func checkReply(operation: String) throws(AMQPError) {
        let state = try openState()
        if let error = Self.replyError(amqp_get_rpc_reply(state), operation: operation) {
            throw fail(error)
        }
    }

    /// Closes the connection after an error that leaves it unusable, and returns the error.
    private func fail(_ error: AMQPError) -> AMQPError {
        if let state {
            switch error {
            case .closedByBroker:
                // Acknowledge the close so the broker can free its side quickly.
                _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
            default:
                break
            }
            amqp_destroy_connection(state)
            self.state = nil
        }
        return error
    }

    private static func replyError(_ reply: amqp_rpc_reply_t, operation: String) -> AMQPError? {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return nil
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return .library(operation: operation, reason: statusText(reply.library_error))
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            switch reply.reply.id {
            case baton_amqp_connection_close_method:
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                return .closedByBroker(code: close.reply_code, text: close.reply_text.string)
            case baton_amqp_channel_close_method:
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                return .closedByBroker(code: close.reply_code, text: close.reply_text.string)
            default:
                return .library(operation: operation, reason: "unexpected server method \(reply.reply.id)")
            }
        default:
            return .library(operation: operation, reason: "no reply from the broker")
        }
    }

    private static func statusText(_ status: Int32) -> String {
        String(cString: amqp_error_string2(status))
    }

    private static func cTimeout(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = duration.components
        let clamped = max(0, seconds)
        return timeval(tv_sec: Int(clamped), tv_usec: seconds < 0 ? 0 : Int(attoseconds / 1_000_000_000_000))
    }
}
