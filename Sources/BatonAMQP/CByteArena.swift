import CRabbitMQ
import Foundation

/// Owns C copies of Swift strings and data for the length of one librabbitmq call.
///
/// `amqp_cstring_bytes(swiftString)` compiles and dangles; copying into memory this
/// arena frees afterwards is the simple safe alternative.
final class CByteArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    func bytes(_ string: String) -> amqp_bytes_t {
        bytes(Data(string.utf8))
    }

    func bytes(_ data: Data) -> amqp_bytes_t {
        guard !data.isEmpty else { return amqp_bytes_t(len: 0, bytes: nil) }
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: data.count, alignment: 1)
        data.copyBytes(to: pointer.assumingMemoryBound(to: UInt8.self), count: data.count)
        allocations.append(pointer)
        return amqp_bytes_t(len: data.count, bytes: pointer)
    }

    func cString(_ string: String) -> UnsafePointer<CChar> {
        let utf8 = Array(string.utf8CString)
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
        pointer.initialize(from: utf8, count: utf8.count)
        allocations.append(UnsafeMutableRawPointer(pointer))
        return UnsafePointer(pointer)
    }

    func table(_ headers: [String: String]) -> amqp_table_t {
        table(headers.mapValues { AMQPArgument.string($0) })
    }

    func table(_ values: [String: AMQPArgument]) -> amqp_table_t {
        guard !values.isEmpty else { return amqp_table_t(num_entries: 0, entries: nil) }
        let entries = UnsafeMutablePointer<amqp_table_entry_t>.allocate(capacity: values.count)
        allocations.append(UnsafeMutableRawPointer(entries))
        for (index, (key, value)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
            var field = amqp_field_value_t()
            switch value {
            case .string(let text):
                field.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
                field.value.bytes = bytes(text)
            case .bool(let flag):
                field.kind = UInt8(AMQP_FIELD_KIND_BOOLEAN.rawValue)
                field.value.boolean = flag ? 1 : 0
            case .int(let number):
                field.kind = UInt8(AMQP_FIELD_KIND_I64.rawValue)
                field.value.i64 = number
            }
            entries.advanced(by: index).initialize(to: amqp_table_entry_t(key: bytes(key), value: field))
        }
        return amqp_table_t(num_entries: Int32(values.count), entries: entries)
    }

    deinit {
        for pointer in allocations { pointer.deallocate() }
    }
}

extension amqp_bytes_t {
    var string: String {
        guard let bytes, len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: len), as: UTF8.self)
    }

    var data: Data {
        guard let bytes, len > 0 else { return Data() }
        return Data(bytes: bytes, count: len)
    }
}

extension amqp_table_t {
    /// The string-valued entries; Baton only ever sets string headers.
    var stringEntries: [String: String] {
        var result: [String: String] = [:]
        guard let entries, num_entries > 0 else { return result }
        for index in 0..<Int(num_entries) {
            let entry = entries[index]
            let kind = UInt32(entry.value.kind)
            if kind == AMQP_FIELD_KIND_UTF8.rawValue || kind == AMQP_FIELD_KIND_BYTES.rawValue {
                result[entry.key.string] = entry.value.value.bytes.string
            }
        }
        return result
    }
}
