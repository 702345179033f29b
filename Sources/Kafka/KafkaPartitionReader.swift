import CRdKafka
import Layout

/// Reads partitions for BACKUP: explicitly assigned (topic, partition, start offset), or shared among
/// processes through a consumer group.
///
/// Defaults (a property in the config overrides them): `isolation.level=read_committed`,
/// `enable.auto.commit=false`, `enable.partition.eof=true`, and `auto.offset.reset=error`, so a start
/// offset that retention has already deleted is an `.error` event with code `_AUTO_OFFSET_RESET` naming the
/// partition (the caller records the gap and assigns again from the log start) instead of a silent jump.
/// Every method blocks up to its timeout: run a reader on a dedicated thread (or through
/// ``KafkaBlocking/run(_:)``), one thread at a time.
// @unchecked Sendable: used from one thread at a time (see above); librdkafka's handle is thread-safe.
public final class KafkaPartitionReader: @unchecked Sendable {
    /// The defaults this reader adds before the user's properties.
    public static let defaultProperties: [(String, String)] = [
        ("isolation.level", "read_committed"),
        ("enable.auto.commit", "false"),
        ("enable.auto.offset.store", "false"),
        ("enable.partition.eof", "true"),
        ("auto.offset.reset", "error")
    ]

    /// The group.id an assign-only reader carries (it never joins the group or commits to it).
    public static let assignOnlyGroupID = "ktape-assign-only"

    let client: RDKafkaClient
    private var topicNames = TopicNames()
    /// Topic handles held so that librdkafka keeps their metadata (``learn(topics:timeoutMilliseconds:)``).
    private var learned: [String: OpaquePointer] = [:]
    /// The consumer queue (records, rebalances), read a batch at a time: `rd_kafka_consumer_poll` per
    /// record locked the queue and read the clock once per record.
    private let queue: OpaquePointer
    /// Messages of the batch being handed over (reused).
    private var batch = [UnsafeMutablePointer<rd_kafka_message_t>?](repeating: nil, count: 1024)

    /// Makes a reader. Give `groupID` to use ``subscribe(topics:)`` (group mode) or to read from
    /// committed offsets; without one, use ``assign(_:)``.
    public init(config: KafkaConfig, groupID: String? = nil) throws {
        var defaults = Self.defaultProperties
        // librdkafka 2.0.2 refuses rd_kafka_assign without a group.id (_UNKNOWN_GROUP); an assign-only
        // reader never joins or commits, so a fixed placeholder is harmless.
        defaults.append(("group.id", groupID ?? Self.assignOnlyGroupID))
        client = try RDKafkaClient(type: RD_KAFKA_CONSUMER, config: config, defaults: defaults) { conf in
            if groupID != nil { rd_kafka_conf_set_rebalance_cb(conf, Self.rebalanceCallback) }
        }
        guard let queue = rd_kafka_queue_get_consumer(client.handle) else {
            throw KafkaError(code: .init(RD_KAFKA_RESP_ERR__STATE), operation: "make a reader", detail: "the client has no consumer queue")
        }
        self.queue = queue
    }

    deinit {
        // Closing can still run the rebalance callback (an assignment that arrives while leaving, the
        // final revoke). The owner of the hooks is gone or going by now (it holds this reader), so
        // they must not be called: an `unowned` capture in one crashed a test process.
        client.state.startOffset = nil
        client.state.beforeRevoke = nil
        rd_kafka_queue_destroy(queue)
        for handle in learned.values { rd_kafka_topic_destroy(handle) }
        // Leaves the group (if any) cleanly before the client is destroyed.
        _ = rd_kafka_consumer_close(client.handle)
    }

    /// Succeeds when the cluster answers within the timeout; else one `.unreachable` error.
    public func checkConnection(timeoutMilliseconds: Int32 = 10_000) throws {
        try client.checkReachable(timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Asks for these topics' metadata now, so that partitions assigned later start fetching at once:
    /// librdkafka (2.0.2 and 2.16 alike) looks up a topic it does not know on a once-a-second scan, so
    /// each wave of assigned partitions that met a new topic waited about a second. Best effort: on
    /// failure that scan still finds them.
    public func learn(topics: [String], timeoutMilliseconds: Int32 = 10_000) {
        for name in topics where learned[name] == nil {
            if let handle = rd_kafka_topic_new(client.handle, name, nil) { learned[name] = handle }
        }
        guard !learned.isEmpty else { return }
        // all_topics = 0: the topics this client knows, which now include these.
        var metadata: UnsafePointer<rd_kafka_metadata>?
        _ = rd_kafka_metadata(client.handle, 0, nil, &metadata, timeoutMilliseconds)
        if let metadata { rd_kafka_metadata_destroy(metadata) }
    }

    /// Replaces the assignment: read exactly these partitions from these offsets (no group protocol).
    public func assign(_ starts: [(TopicPartition, KafkaOffset)]) throws {
        let list = TopicPartitionList(capacity: starts.count)
        for (partition, offset) in starts { list.add(partition, offset: offset.rawValue) }
        try KafkaError.check(rd_kafka_assign(client.handle, list.pointer), "assign partitions")
    }

    /// Adds partitions to the assignment from these offsets, leaving the others alone: their fetch
    /// state and prefetched records are kept (``assign(_:)`` would drop and fetch them again).
    public func addToAssignment(_ starts: [(TopicPartition, KafkaOffset)]) throws {
        guard !starts.isEmpty else { return }
        let list = TopicPartitionList(capacity: starts.count)
        for (partition, offset) in starts { list.add(partition, offset: offset.rawValue) }
        try KafkaError.check(rd_kafka_incremental_assign(client.handle, list.pointer), "add partitions to the assignment")
    }

    /// Removes partitions from the assignment, leaving the others alone.
    public func removeFromAssignment(_ partitions: [TopicPartition]) throws {
        guard !partitions.isEmpty else { return }
        let list = TopicPartitionList(capacity: partitions.count)
        for partition in partitions { list.add(partition, offset: LogicalOffset.invalid) }
        try KafkaError.check(rd_kafka_incremental_unassign(client.handle, list.pointer), "remove partitions from the assignment")
    }

    /// Group mode: joins the reader's group for these topics; assignments come as poll events.
    /// - Parameter startOffset: where to start each newly assigned partition (e.g. from the caller's own
    ///   checkpoint); called on the polling thread. By default the group's committed offset.
    /// - Parameter beforeRevoke: called with partitions being taken away, before they are given up, so
    ///   that work on them can finish before another member of the group is assigned them.
    public func subscribe(
        topics: [String], startOffset: @escaping (TopicPartition) -> KafkaOffset = { _ in .stored },
        beforeRevoke: @escaping ([TopicPartition]) -> Void = { _ in }
    ) throws {
        client.state.startOffset = startOffset
        client.state.beforeRevoke = beforeRevoke
        let list = TopicPartitionList(capacity: topics.count)
        for topic in topics {
            list.add(TopicPartition(topic: topic, partition: LogicalOffset.unassignedPartition), offset: LogicalOffset.invalid)
        }
        try KafkaError.check(rd_kafka_subscribe(client.handle, list.pointer), "subscribe")
    }

    /// The partitions currently assigned.
    public func assignment() throws -> [TopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        try KafkaError.check(rd_kafka_assignment(client.handle, &list), "read assignment")
        guard let list else { return [] }
        return TopicPartitionList(owning: list).elements.map(\.topicPartition)
    }

    /// Waits up to `timeoutMilliseconds` for the first event, then takes what else is ready, up to
    /// `maxEvents`, handing each to `body` in order. Records are borrowed views valid only during the call.
    /// Returns the number of events handed over (0 when the timeout passed with nothing).
    @discardableResult
    public func poll(
        maxEvents: Int = 1000, timeoutMilliseconds: Int32,
        _ body: (KafkaReaderEvent<KafkaRecordView>) throws -> Void
    ) throws -> Int {
        var handed = 0
        // Main-queue callbacks (error_cb) are served here; messages and rebalances come from the consumer queue.
        client.poll(timeoutMilliseconds: 0)
        for error in client.state.takeErrors() {
            try body(.error(error))
            handed += 1
        }
        var wait = timeoutMilliseconds
        while handed < maxEvents {
            // What is ready, without waiting: with a timeout the call waits until the batch is full.
            // It serves rebalance callbacks too, as rd_kafka_consumer_poll does.
            var count = batch.withUnsafeMutableBufferPointer { messages in
                rd_kafka_consume_batch_queue(queue, 0, messages.baseAddress, min(messages.count, maxEvents - handed))
            }
            if count <= 0 && wait > 0, let first = rd_kafka_consumer_poll(client.handle, wait) {
                batch[0] = first
                count = 1
            }
            for rebalance in client.state.takeRebalances() {
                try body(rebalance.assigned ? .assigned(rebalance.partitions) : .revoked(rebalance.partitions))
                handed += 1
            }
            guard count > 0 else { break }
            wait = 0
            var next = 0
            // Every message of the batch is destroyed, also those after one whose handling threw.
            defer { for index in next..<count { if let message = batch[index] { rd_kafka_message_destroy(message) } } }
            while next < count {
                guard let message = batch[next] else {
                    next += 1
                    continue
                }
                defer {
                    rd_kafka_message_destroy(message)
                    next += 1
                }
                try body(event(for: message))
                handed += 1
            }
        }
        return handed
    }

    /// Like ``poll(maxEvents:timeoutMilliseconds:_:)`` but returns owned copies.
    public func poll(maxEvents: Int = 1000, timeoutMilliseconds: Int32) throws -> [KafkaReaderEvent<ConsumedRecord>] {
        var events = [KafkaReaderEvent<ConsumedRecord>]()
        try poll(maxEvents: maxEvents, timeoutMilliseconds: timeoutMilliseconds) { event in
            switch event {
            case .record(let view): events.append(.record(view.copy()))
            case .endOfPartition(let partition, let next): events.append(.endOfPartition(partition, nextOffset: next))
            case .error(let error): events.append(.error(error))
            case .assigned(let partitions): events.append(.assigned(partitions))
            case .revoked(let partitions): events.append(.revoked(partitions))
            }
        }
        return events
    }

    /// Group mode: commits the next offsets to read for these partitions, synchronously.
    public func commit(_ offsets: [TopicPartition: Int64]) throws {
        let list = TopicPartitionList(capacity: offsets.count)
        for (partition, offset) in offsets { list.add(partition, offset: offset) }
        try KafkaError.check(rd_kafka_commit(client.handle, list.pointer, 0), "commit offsets")
    }

    private func event(for message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaReaderEvent<KafkaRecordView> {
        let m = message.pointee
        let topic = m.rkt.map { topicNames.name($0) } ?? ""
        switch m.err {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            return .record(KafkaRecordView(message, topic: topic))
        case RD_KAFKA_RESP_ERR__PARTITION_EOF:
            return .endOfPartition(TopicPartition(topic: topic, partition: m.partition), nextOffset: m.offset)
        default:
            let detail = rd_kafka_message_errstr(message).map { String(cString: $0) }
            let offset: Int64? = m.offset >= 0 ? m.offset : nil
            return .error(
                KafkaError(
                    code: KafkaError.Code(m.err), operation: "read", detail: detail,
                    topic: topic.isEmpty ? nil : topic, partition: m.rkt == nil ? nil : m.partition,
                    offset: offset))
        }
    }

    private static let rebalanceCallback:
        @convention(c) (
            OpaquePointer?, rd_kafka_resp_err_t,
            UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
            UnsafeMutableRawPointer?
        ) -> Void = { handle, err, partitions, opaque in
            guard let handle else { return }
            let state = ClientState.from(opaque)
            let assigned = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS
            if assigned, let partitions, let startOffset = state?.startOffset {
                for index in 0..<Int(partitions.pointee.cnt) {
                    let element = partitions.pointee.elems[index]
                    guard let topic = element.topic else { continue }
                    partitions.pointee.elems[index].offset =
                        startOffset(TopicPartition(topic: String(cString: topic), partition: element.partition)).rawValue
                }
            }
            if !assigned, let partitions, let beforeRevoke = state?.beforeRevoke {
                beforeRevoke(TopicPartitionList.elements(of: partitions).map(\.topicPartition))
            }
            // NULL when the group has no protocol yet (a consumer closed before it ever joined, e.g. with no
            // coordinator reachable): eager, then, which is also what librdkafka does.
            let cooperative = rd_kafka_rebalance_protocol(handle).map { String(cString: $0) } == "COOPERATIVE"
            if cooperative {
                let error =
                    assigned
                    ? rd_kafka_incremental_assign(handle, partitions)
                    : rd_kafka_incremental_unassign(handle, partitions)
                if let error { rd_kafka_error_destroy(error) }
            } else {
                _ = rd_kafka_assign(handle, assigned ? partitions : nil)
            }
            guard let state else { return }
            let list = partitions.map { TopicPartitionList.elements(of: $0).map(\.topicPartition) } ?? []
            state.record(ClientState.RebalanceEvent(assigned: assigned, partitions: list))
        }
}
