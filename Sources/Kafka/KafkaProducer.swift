import CRdKafka
import Foundation
import Layout

/// Produces records to explicit partitions for RESTORE, idempotent by default.
///
/// Delivery reports reach `onDelivery` on the thread that calls ``poll(timeoutMilliseconds:)``,
/// ``flush(timeoutMilliseconds:)`` or ``produce(_:id:)`` (which polls when the local queue is full), so
/// a caller may advance its checkpoint there. All methods block; use one producer from one thread.
// @unchecked Sendable: used from one thread at a time (see above); librdkafka's handle is thread-safe.
public final class KafkaProducer: @unchecked Sendable {
    /// The defaults this producer adds before the user's properties.
    public static let defaultProperties: [(String, String)] = [("enable.idempotence", "true")]

    let client: RDKafkaClient
    /// Topic handles kept from ``learnTopics(_:timeoutMilliseconds:)`` for the producer's life.
    private var knownTopics: [String: OpaquePointer] = [:]
    /// Called every 0.1 s while a record waits for room in the full local queue (`true` the first
    /// time of each wait); what it throws ends the wait (a broker that died never frees the queue).
    private let whileQueueFull: (_ startingToWait: Bool) throws -> Void

    /// Makes a producer. Set `transactional.id` in `config` to use the transaction methods.
    /// - Parameter onDelivery: called once per produced record, on the polling thread.
    /// - Parameter whileQueueFull: called while a record waits for room in the local queue; throw to give up.
    public init(
        config: KafkaConfig, onDelivery: @escaping (KafkaDeliveryReport) -> Void,
        whileQueueFull: @escaping (_ startingToWait: Bool) throws -> Void = { _ in }
    ) throws {
        client = try RDKafkaClient(type: RD_KAFKA_PRODUCER, config: config, defaults: Self.defaultProperties) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf, Self.deliveryCallback)
        }
        client.state.deliveryHandler = onDelivery
        self.whileQueueFull = whileQueueFull
    }

    /// The most recent error librdkafka reported for this producer (a broker down, a request refused).
    public var lastError: KafkaError? { client.state.lastError }

    deinit {
        client.state.deliveryHandler = nil
        for topic in knownTopics.values { rd_kafka_topic_destroy(topic) }
    }

    /// Fetches the partitions and leaders of `topics` now. Without it, librdkafka (2.0) learns a topic
    /// that a first record names only at its next periodic topic scan, up to a second later, and
    /// holds that record and every later one until then.
    public func learnTopics(_ topics: [String], timeoutMilliseconds: Int32 = 10_000) throws {
        for name in topics where knownTopics[name] == nil {
            let handle = try topic(name).handle
            var metadata: UnsafePointer<rd_kafka_metadata>?
            try KafkaError.check(
                rd_kafka_metadata(client.handle, 0, handle, &metadata, timeoutMilliseconds),
                "read metadata", topic: name)
            if let metadata { rd_kafka_metadata_destroy(metadata) }
        }
    }

    /// Succeeds when the cluster answers within the timeout; else one `.unreachable` error.
    public func checkConnection(timeoutMilliseconds: Int32 = 10_000) throws {
        try client.checkReachable(timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Queues one record, copying its bytes; `id` comes back in its delivery report.
    public func produce(_ record: KafkaProducerRecord, id: UInt64) throws {
        try Self.withOptionalBytes(record.key) { key in
            try Self.withOptionalBytes(record.value) { value in
                try produce(
                    topic: record.topic, partition: record.partition, key: key, value: value,
                    headers: record.headers, timestamp: record.timestamp, id: id)
            }
        }
    }

    /// A topic to produce to, looked up once: records that name it by handle spare librdkafka a
    /// lookup by name (a lock and a scan of the client's topics) per record.
    // @unchecked Sendable: an immutable librdkafka topic handle, valid and thread-safe for the producer's life.
    public struct Topic: @unchecked Sendable {
        fileprivate let handle: OpaquePointer
        public let name: String
    }

    /// The handle of topic `name`, kept for the producer's life (see ``learnTopics(_:timeoutMilliseconds:)``).
    public func topic(_ name: String) throws -> Topic {
        if let handle = knownTopics[name] { return Topic(handle: handle, name: name) }
        guard let handle = rd_kafka_topic_new(client.handle, name, nil) else {
            throw KafkaError(code: KafkaError.Code(rd_kafka_last_error()), operation: "look up topic", topic: name)
        }
        knownTopics[name] = handle
        return Topic(handle: handle, name: name)
    }

    /// One header of a record produced from borrowed memory: a C string name and a value (nil is null).
    public struct HeaderBytes {
        public var name: UnsafePointer<CChar>
        public var value: UnsafeRawBufferPointer?

        public init(name: UnsafePointer<CChar>, value: UnsafeRawBufferPointer?) {
            self.name = name
            self.value = value
        }
    }

    /// Queues one record from borrowed bytes, with nothing allocated on the way: restore's hot path.
    /// nil key/value is null; an empty buffer is empty. Header `i` is `header(i)` (names and header
    /// values are always copied). With `copy` false, librdkafka reads the key and value in place
    /// until the record's delivery report, so they must stay valid and unchanged until then.
    /// When librdkafka's queue is full it polls (serving delivery reports) and retries.
    public func produce(
        to topic: Topic, partition: Int32, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headerCount: Int, header: (Int) -> HeaderBytes, timestamp: Int64?, id: UInt64,
        copy: Bool = true
    ) throws {
        try produce(
            .handle(topic.handle), name: topic.name, partition: partition, key: key, value: value,
            headerCount: headerCount, header: header, timestamp: timestamp, id: id, copy: copy)
    }

    /// Queues one record from borrowed bytes (copied before this returns). nil key/value is null; an
    /// empty buffer is empty. When librdkafka's queue is full it polls (serving delivery reports) and retries.
    public func produce(
        topic: String, partition: Int32, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headers: [KafkaHeader], timestamp: Int64?, id: UInt64
    ) throws {
        // Header names go into one NUL-separated buffer so their C strings live through the call.
        var names = [CChar]()
        var nameOffsets = [Int]()
        for header in headers {
            nameOffsets.append(names.count)
            names.append(contentsOf: header.name.utf8CString)
        }
        try names.withUnsafeBufferPointer { nameBuffer in
            try withHeaderValues(headers) { values in
                try topic.withCString { topicName in
                    try produce(
                        .name(topicName), name: topic, partition: partition, key: key, value: value,
                        headerCount: headers.count,
                        header: { HeaderBytes(name: nameBuffer.baseAddress! + nameOffsets[$0], value: values[$0]) },
                        timestamp: timestamp, id: id)
                }
            }
        }
    }

    private enum TopicReference {
        case name(UnsafePointer<CChar>)
        case handle(OpaquePointer)
    }

    private func produce(
        _ topic: TopicReference, name: String, partition: Int32, key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?, headerCount: Int, header: (Int) -> HeaderBytes,
        timestamp: Int64?, id: UInt64, copy: Bool = true
    ) throws {
        // On the stack: a heap array here was one malloc and free per record.
        try withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 7 + headerCount) { buffer in
            var count = 0
            func add(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t.__Unnamed_union_u) -> Void) {
                (buffer.baseAddress! + count).initialize(to: Self.vu(type, fill))
                count += 1
            }
            switch topic {
            case .name(let cString): add(RD_KAFKA_VTYPE_TOPIC) { $0.cstr = cString }
            case .handle(let handle): add(RD_KAFKA_VTYPE_RKT) { $0.rkt = handle }
            }
            add(RD_KAFKA_VTYPE_PARTITION) { $0.i32 = partition }
            add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.i = copy ? RD_KAFKA_MSG_F_COPY : 0 }
            add(RD_KAFKA_VTYPE_OPAQUE) { $0.ptr = UnsafeMutableRawPointer(bitPattern: UInt(id)) }
            if let key {
                add(RD_KAFKA_VTYPE_KEY) {
                    $0.mem.ptr = Self.nonNull(key)
                    $0.mem.size = key.count
                }
            }
            if let value {
                add(RD_KAFKA_VTYPE_VALUE) {
                    $0.mem.ptr = Self.nonNull(value)
                    $0.mem.size = value.count
                }
            }
            if let timestamp {
                add(RD_KAFKA_VTYPE_TIMESTAMP) { $0.i64 = timestamp }
            }
            // A headers list of our own (VTYPE_HEADERS), not one per header (VTYPE_HEADER): librdkafka
            // 2.0.2 frees the list it builds from those twice when the partitioner refuses the record
            // (a partition the topic no longer has; librdkafka issue 4627). Ours is librdkafka's once
            // queued, and ours to free on any failure.
            var headers: OpaquePointer?
            if headerCount > 0 {
                headers = rd_kafka_headers_new(headerCount)
                for index in 0..<headerCount {
                    let header = header(index)
                    rd_kafka_header_add(
                        headers, header.name, -1, header.value.map { UnsafeRawPointer(Self.nonNull($0)) }, header.value?.count ?? 0)
                }
                add(RD_KAFKA_VTYPE_HEADERS) { $0.headers = headers }
            }
            do {
                try produceRetryingWhenFull(
                    UnsafeBufferPointer(rebasing: buffer[..<count]), bytes: (key?.count ?? 0) + (value?.count ?? 0), topic: name,
                    partition: partition)
            } catch {
                if let headers { rd_kafka_headers_destroy(headers) }
                throw error
            }
        }
    }

    /// Serves delivery reports; returns how many events were served.
    @discardableResult
    public func poll(timeoutMilliseconds: Int32 = 0) -> Int {
        Int(client.poll(timeoutMilliseconds: timeoutMilliseconds))
    }

    /// Waits until every queued record has its delivery report, or throws `_TIMED_OUT` naming how many
    /// are still outstanding.
    public func flush(timeoutMilliseconds: Int32) throws {
        let err = rd_kafka_flush(client.handle, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(
                code: KafkaError.Code(err), operation: "flush producer",
                detail: "\(outqLength) records or requests still in flight after \(timeoutMilliseconds) ms")
        }
    }

    /// Records and requests not yet acknowledged (`rd_kafka_outq_len`).
    public var outqLength: Int { Int(rd_kafka_outq_len(client.handle)) }

    /// A record the local queue refused although nothing else was in it: `queue.buffering.max.kbytes`
    /// counts its key and value, and this producer will never take it.
    public struct RecordLargerThanQueue: Error {
        /// Its key and value.
        public let bytes: Int
    }

    private func produceRetryingWhenFull(_ vus: UnsafeBufferPointer<rd_kafka_vu_t>, bytes: Int, topic: String, partition: Int32) throws {
        var waiting = false
        while true {
            guard let error = rd_kafka_produceva(client.handle, vus.baseAddress, vus.count) else { return }
            if KafkaError.Code(rd_kafka_error_code(error)) == .queueFull {
                rd_kafka_error_destroy(error)
                // Nothing queued, in flight or waiting to be reported: the record alone is too large.
                if outqLength == 0 { throw RecordLargerThanQueue(bytes: bytes) }
                try whileQueueFull(!waiting)
                waiting = true
                client.poll(timeoutMilliseconds: 100)
                continue
            }
            throw KafkaError(consuming: error, operation: "produce", topic: topic, partition: partition)
        }
    }

    private func withHeaderValues<T>(_ headers: [KafkaHeader], _ body: ([UnsafeRawBufferPointer?]) throws -> T) rethrows -> T {
        // Values are borrowed one by one, recursively, so each stays valid until `body` returns.
        func borrow(_ index: Int, _ collected: inout [UnsafeRawBufferPointer?]) throws -> T {
            if index == headers.count { return try body(collected) }
            guard let value = headers[index].value else {
                collected.append(nil)
                return try borrow(index + 1, &collected)
            }
            return try value.withUnsafeBytes { bytes in
                collected.append(bytes)
                return try borrow(index + 1, &collected)
            }
        }
        var collected = [UnsafeRawBufferPointer?]()
        return try borrow(0, &collected)
    }

    private static func withOptionalBytes<T>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) throws -> T) rethrows -> T {
        guard let bytes else { return try body(nil) }
        return try bytes.withUnsafeBytes { try body($0) }
    }

    /// librdkafka tells null from empty by the pointer, and an empty Swift buffer may have none.
    // nonisolated(unsafe): set once, never written through (librdkafka only reads 0 bytes at it).
    private nonisolated(unsafe) static let emptyMarker = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)

    private static func nonNull(_ buffer: UnsafeRawBufferPointer) -> UnsafeMutableRawPointer {
        buffer.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) } ?? emptyMarker
    }

    private static func vu(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t.__Unnamed_union_u) -> Void) -> rd_kafka_vu_t {
        var vu = rd_kafka_vu_t()
        vu.vtype = type
        fill(&vu.u)
        return vu
    }

    private static let deliveryCallback:
        @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
            _, message, opaque in
            guard let message, let state = ClientState.from(opaque), let handler = state.deliveryHandler else { return }
            let m = message.pointee
            let topic = m.rkt.map { state.deliveryTopics.name($0) } ?? ""
            let id = UInt64(UInt(bitPattern: m._private))
            let offset: Int64? = m.offset >= 0 ? m.offset : nil
            var error: KafkaError?
            if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                error = KafkaError(
                    code: KafkaError.Code(m.err), operation: "deliver", topic: topic,
                    partition: m.partition, offset: offset)
            }
            handler(
                KafkaDeliveryReport(
                    id: id, topicPartition: TopicPartition(topic: topic, partition: m.partition),
                    offset: error == nil ? offset : nil, error: error))
        }
}
