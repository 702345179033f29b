import CRdKafka
import Foundation
import Layout

/// A consumed record borrowed from librdkafka: valid only during the closure it is passed to.
/// Nothing is copied; do not let it or its buffers escape (copy with ``copy()`` if needed).
public struct KafkaRecordView {
    /// The topic (shared String, not rebuilt per record).
    public let topic: String
    /// The partition.
    public let partition: Int32
    /// The record's offset.
    public let offset: Int64
    /// Its timestamp and timestamp type.
    public let timestamp: KafkaTimestamp
    /// The key bytes; nil is a null key (an empty buffer is an empty key).
    public let key: UnsafeRawBufferPointer?
    /// The value bytes; nil is a null value, a tombstone (an empty buffer is an empty value).
    public let value: UnsafeRawBufferPointer?
    private let headers: OpaquePointer?

    init(_ message: UnsafePointer<rd_kafka_message_t>, topic: String) {
        let m = message.pointee
        self.topic = topic
        partition = m.partition
        offset = m.offset
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let milliseconds = rd_kafka_message_timestamp(message, &type)
        let kind: KafkaTimestamp.Kind =
            type == RD_KAFKA_TIMESTAMP_CREATE_TIME
            ? .createTime
            : type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? .logAppendTime : .notAvailable
        timestamp = KafkaTimestamp(milliseconds: milliseconds, kind: kind)
        key = m.key.map { UnsafeRawBufferPointer(start: $0, count: m.key_len) }
        value = m.payload.map { UnsafeRawBufferPointer(start: $0, count: m.len) }
        var headers: OpaquePointer?
        let err = rd_kafka_message_headers(message, &headers)
        self.headers = err == RD_KAFKA_RESP_ERR_NO_ERROR ? headers : nil
    }

    /// Calls `body` for each header in order (duplicates kept) with the name's bytes and the value's
    /// bytes, nil for a null value. Both are borrowed for the call only.
    public func forEachHeader(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer?) throws -> Void) rethrows {
        guard let headers else { return }
        var index = 0
        while true {
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            guard rd_kafka_header_get_all(headers, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR,
                let name
            else { return }
            let nameBytes = UnsafeRawBufferPointer(start: name, count: strlen(name))
            try body(nameBytes, value.map { UnsafeRawBufferPointer(start: $0, count: size) })
            index += 1
        }
    }

    /// The number of headers.
    public var headerCount: Int { headers.map { rd_kafka_header_cnt($0) } ?? 0 }

    /// An owned copy.
    public func copy() -> ConsumedRecord {
        var copied = [KafkaHeader]()
        forEachHeader { name, value in
            copied.append(KafkaHeader(name: String(decoding: name, as: UTF8.self), value: value.map { Array($0) }))
        }
        return ConsumedRecord(
            topic: topic, partition: partition, offset: offset, timestamp: timestamp,
            key: key.map { Array($0) }, value: value.map { Array($0) }, headers: copied)
    }
}

/// A consumed record, with its topic and partition, that owns its bytes (for tests and small tools; the backup path uses views).
public struct ConsumedRecord: Sendable, Hashable {
    /// The topic.
    public let topic: String
    /// The partition.
    public let partition: Int32
    /// The offset.
    public let offset: Int64
    /// Its timestamp and timestamp type.
    public let timestamp: KafkaTimestamp
    /// The key; nil is null.
    public let key: [UInt8]?
    /// The value; nil is null (a tombstone).
    public let value: [UInt8]?
    /// Headers in order, duplicates and null values kept.
    public let headers: [KafkaHeader]
}

/// What a reader's poll hands over, in the order it happened.
public enum KafkaReaderEvent<Record> {
    /// A record.
    case record(Record)
    /// The reader has reached the end of the partition; `nextOffset` is where the next record will be.
    case endOfPartition(TopicPartition, nextOffset: Int64)
    /// An error, with topic and partition where it concerns one; `isFatal` ones end the reader.
    case error(KafkaError)
    /// Group mode: these partitions were assigned to this reader.
    case assigned([TopicPartition])
    /// Group mode: these partitions were taken away from this reader.
    case revoked([TopicPartition])
}
