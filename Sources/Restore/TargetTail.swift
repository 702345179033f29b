import Checksums
import Failures
import Foundation
import Kafka
import Layout
import RecordFormats

/// How much of a restore is already in a target partition, confirmed by reading the partition's
/// tail (its end offset is only a hint: transaction markers, late requests of a killed producer).
struct TargetTail: Sendable {
    /// Records at or after the restore's base offset.
    var count: Int64
    /// The last of them, to check it is the source record the count points at.
    var last: TailRecord?

    /// A partition whose tail is wanted: the restore's base offset there and the end offset read now.
    struct Request: Sendable {
        var target: TopicPartition
        var base: Int64
        var endHint: Int64
    }

    /// The tails of all `requests`, read together by one reader: from just before each end-offset
    /// hint to the true end, then, where that found no record (the hint sat past a marker, or was
    /// stale), again from the base. Gives up after `stallSeconds` without a record or a partition's end
    /// (a slow broker's thousands of partitions take long, but keep coming).
    static func read(
        config: KafkaConfig, _ requests: [Request], stallSeconds: TimeInterval = 120,
        clock: @escaping @Sendable () -> Date
    ) throws -> [TopicPartition: TargetTail] {
        func hintStart(_ request: Request) -> Int64 { max(request.base, request.endHint - 1) }
        var tails: [TopicPartition: TargetTail] = [:]
        let fromHints = try lastRecords(
            config: config, starts: requests.map { ($0.target, hintStart($0)) },
            stallSeconds: stallSeconds, clock: clock)
        var fromBases: [(TopicPartition, Int64)] = []
        for request in requests {
            if let last = fromHints[request.target] {
                tails[request.target] = TargetTail(count: last.offset - request.base + 1, last: last)
            } else if hintStart(request) > request.base {
                fromBases.append((request.target, request.base))
            } else {
                tails[request.target] = TargetTail(count: 0, last: nil)
            }
        }
        guard !fromBases.isEmpty else { return tails }
        let again = try lastRecords(config: config, starts: fromBases, stallSeconds: stallSeconds, clock: clock)
        for (target, base) in fromBases {
            tails[target] = again[target].map { TargetTail(count: $0.offset - base + 1, last: $0) } ?? TargetTail(count: 0, last: nil)
        }
        return tails
    }

    /// The last record at or after each start, absent where there is none; reads each partition to its end.
    private static func lastRecords(
        config: KafkaConfig, starts: [(TopicPartition, Int64)],
        stallSeconds: TimeInterval, clock: () -> Date
    ) throws -> [TopicPartition: TailRecord] {
        var config = config
        // Partitions reach their ends at different times: do not let the broker's long poll hold the others.
        if config.value(of: "fetch.wait.max.ms") == nil { try config.set("fetch.wait.max.ms", "10") }
        let reader = try KafkaPartitionReader(config: config)
        reader.learn(topics: Set(starts.map(\.0.topic)).sorted(), timeoutMilliseconds: Int32(min(stallSeconds, 10) * 1000))
        try reader.assign(starts.map { (TopicPartition(topic: $0.0.topic, partition: $0.0.partition), .exact($0.1)) })
        var open = Set(starts.map(\.0))
        var last: [TopicPartition: TailRecord] = [:]
        var deadline = clock().addingTimeInterval(stallSeconds)
        while !open.isEmpty {
            guard clock() < deadline else {
                let names = open.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }.prefix(3).map(\.description)
                throw RunFailure.failure(
                    "reading the tail of target \(names.joined(separator: ", "))\(open.count > 3 ? " and \(open.count - 3) more" : ""): nothing read for \(Int(stallSeconds)) s (--stall-timeout)"
                )
            }
            var failure: (TopicPartition?, KafkaError)?
            var progressed = false
            try reader.poll(maxEvents: 5000, timeoutMilliseconds: 200) { event in
                switch event {
                case .record(let view):
                    progressed = true
                    let partition = TopicPartition(view.topic, view.partition)
                    if open.contains(partition) { last[partition] = TailRecord(view) }
                case .endOfPartition(let p, _):
                    progressed = true
                    open.remove(TopicPartition(p.topic, p.partition))
                case .error(let error) where error.isFatal || error.topic.map({ topic in open.contains { $0.topic == topic } }) == true:
                    failure = (error.topic.flatMap { topic in error.partition.map { TopicPartition(topic, $0) } }, error)
                default:
                    break
                }
            }
            if let (partition, error) = failure {
                throw RunFailure.failure("reading the tail of target \(partition?.description ?? "partitions"): \(error)")
            }
            if progressed { deadline = clock().addingTimeInterval(stallSeconds) }
        }
        return last
    }
}

/// What a rerun compares of a target partition's last record with the source record its count points
/// at: its offset and time, and the length and CRC64NVME of its key and of its value. Not a copy:
/// the tails of every resumed partition are held at once, and a copy of each last record made a
/// rerun over 16 partitions of one 16 MiB record need 341 MiB where the first run needed 146 MiB.
struct TailRecord: Sendable, Equatable {
    struct Bytes: Sendable, Equatable {
        var count: Int
        var crc64nvme: UInt64

        init<C: Collection>(_ bytes: C) where C.Element == UInt8 {
            count = bytes.count
            crc64nvme = CRC64NVME.checksum(bytes).value
        }
    }

    var offset: Int64
    var timestamp: KafkaTimestamp
    /// Nil is a null key (or value); an empty one has a count of 0.
    var key: Bytes?
    var value: Bytes?

    init(_ view: KafkaRecordView) {
        offset = view.offset
        timestamp = view.timestamp
        key = view.key.map(Bytes.init)
        value = view.value.map(Bytes.init)
    }

    /// Whether `record` has this key and value.
    func holdsTheBytes(of record: RecordFormats.KafkaRecord) -> Bool {
        record.key.map(Bytes.init) == key && record.value.map(Bytes.init) == value
    }
}
