import CRdKafka
import Layout

extension KafkaAdmin {
    /// Consumer groups known to the cluster (ListGroups, best-effort). A broker without ListGroups (such
    /// as librdkafka's mock cluster) gives a `.unsupported` error within the timeout.
    public func listGroups(timeoutMilliseconds: Int32 = 10_000) throws -> [KafkaGroupListing] {
        try withGroupList(nil, apiName: "ListGroups", operation: "list consumer groups", timeoutMilliseconds: timeoutMilliseconds) {
            groups in
            (0..<Int(groups.group_cnt)).map { index in
                let group = groups.groups[index]
                return KafkaGroupListing(
                    name: group.group.map { String(cString: $0) } ?? "",
                    state: group.state.map { String(cString: $0) } ?? "",
                    protocolType: group.protocol_type.map { String(cString: $0) } ?? "",
                    memberCount: Int(group.member_cnt))
            }.sorted { $0.name < $1.name }
        }
    }

    /// The partitions the members of `group` hold now (ListGroups, then DescribeGroups), or nil while
    /// the group is rebalancing or not listed. Kind `.unsupported` when the broker lacks the APIs
    /// (Debian's librdkafka mock). Not the DescribeConsumerGroups Admin API: with librdkafka 2.0.2
    /// against a broker without it, destroying the client afterwards hangs.
    public func heldPartitions(group: String, timeoutMilliseconds: Int32 = 10_000) throws -> Set<TopicPartition>? {
        try withGroupList(
            group, apiName: "DescribeGroups", operation: "describe consumer group \(group)", timeoutMilliseconds: timeoutMilliseconds
        ) { groups -> Set<TopicPartition>? in
            guard groups.group_cnt > 0 else { return nil }
            let info = groups.groups[0]
            guard info.err == RD_KAFKA_RESP_ERR_NO_ERROR, info.state.map({ String(cString: $0) }) == "Stable" else { return nil }
            var held = Set<TopicPartition>()
            for index in 0..<Int(info.member_cnt) {
                let member = info.members[index]
                guard let bytes = member.member_assignment else { continue }
                let buffer = UnsafeRawBufferPointer(start: bytes, count: Int(member.member_assignment_size))
                guard let partitions = ConsumerAssignment.partitions(buffer) else { return nil }
                held.formUnion(partitions)
            }
            return held
        }
    }

    /// `rd_kafka_list_groups` (all groups, or only `group`) handed to `read`, its errors turned into
    /// KafkaErrors: `.unsupported(apiName)` from a broker without the APIs, and a timeout told apart
    /// from an unreachable cluster.
    private func withGroupList<T>(
        _ group: String?, apiName: String, operation: String, timeoutMilliseconds: Int32,
        read: (rd_kafka_group_list) throws -> T
    ) throws -> T {
        var list: UnsafePointer<rd_kafka_group_list>?
        let err = rd_kafka_list_groups(client.handle, group, &list, timeoutMilliseconds)
        defer { if let list { rd_kafka_group_list_destroy(list) } }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let code = KafkaError.Code(err)
            if code == .timedOut {
                // Tell "no broker answers" apart from "brokers answer, but not this".
                try client.checkReachable(timeoutMilliseconds: 1000)
            }
            let kind: KafkaError.Kind =
                [.unsupportedFeature, .unsupportedVersion].contains(code) ? .unsupported(operation: apiName) : .librdkafka
            throw KafkaError(kind, code: code, operation: operation)
        }
        return try read(list?.pointee ?? rd_kafka_group_list(groups: nil, group_cnt: 0))
    }

    /// The offsets `group` has committed for `partitions` (nil where it has none), read through a consumer
    /// with that group.id that never joins the group.
    public func committedOffsets(
        group: String, partitions: [TopicPartition],
        timeoutMilliseconds: Int32 = 10_000
    ) throws -> [TopicPartition: Int64?] {
        let consumer = try groupClient(group)
        let list = TopicPartitionList(capacity: partitions.count)
        for partition in partitions { list.add(partition, offset: LogicalOffset.invalid) }
        let err = rd_kafka_committed(consumer.handle, list.pointer, timeoutMilliseconds)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(code: KafkaError.Code(err), operation: "read committed offsets of group \(group)")
        }
        var result = [TopicPartition: Int64?]()
        for element in list.elements {
            guard element.error == .noError else {
                throw KafkaError(
                    code: element.error, operation: "read committed offsets of group \(group)",
                    topic: element.topicPartition.topic, partition: element.topicPartition.partition)
            }
            let offset: Int64? = element.offset >= 0 ? element.offset : nil
            result[element.topicPartition] = .some(offset)
        }
        return result
    }

    /// Commits `offsets` (the next offset to read, per partition) for `group`, without joining it.
    /// Brokers refuse this while the group has active members; that refusal names the group.
    public func commitOffsets(
        group: String, offsets: [TopicPartition: Int64],
        timeoutMilliseconds: Int32 = 10_000
    ) throws {
        let consumer = try groupClient(group)
        let list = TopicPartitionList(capacity: offsets.count)
        for (partition, offset) in offsets.sorted(by: { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }) {
            list.add(partition, offset: offset)
        }
        let err = rd_kafka_commit(consumer.handle, list.pointer, 0)
        let operation = "commit offsets of group \(group)"
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let code = KafkaError.Code(err)
            let active: [rd_kafka_resp_err_t] = [
                RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION,
                RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS
            ]
            let detail = active.contains(err) ? "the group has active members (\(code.message))" : code.message
            throw KafkaError(code: code, operation: operation, detail: detail)
        }
        for element in list.elements where element.error != .noError {
            throw KafkaError(
                code: element.error, operation: operation,
                topic: element.topicPartition.topic, partition: element.topicPartition.partition)
        }
    }

    private func groupClient(_ group: String) throws -> RDKafkaClient {
        try RDKafkaClient(
            type: RD_KAFKA_CONSUMER, config: configForGroups,
            defaults: [("group.id", group), ("enable.auto.commit", "false")])
    }
}
