import Foundation
import Kafka
import Layout
import RecordFormats

/// Where a repartitioned topic's records go, as Kafka's Java client would send them to a topic of
/// `partitionCount` partitions. A keyed record goes to `toPositive(murmur2(key)) % count` (an empty
/// key is a key). Records without a key are spread as the client's sticky partitioner spreads them
/// (KIP-794, Kafka 3.3): all to one partition until `batch.size` (16 KiB) of their bytes went there,
/// then on to another. The client picks the next one at random; here it is the next in turn, from
/// partition 0, so that the choice depends on the records alone and a resumed restore sends every
/// record where the first run sent it.
struct RecordRouter {
    /// The Java producer's default `batch.size`.
    static let stickyBytes = 16_384

    let partitionCount: Int32
    private var sticky: Int32 = 0
    private var stickyBytesSent = 0

    init(partitionCount: Int32) {
        self.partitionCount = partitionCount
    }

    /// The target partition of the next record; records must be routed in restore order.
    mutating func partition(of record: RecordView) -> Int32 {
        if let key = record.key { return KafkaKeyPartitioner.murmur2(key, partitionCount: partitionCount) }
        if stickyBytesSent >= Self.stickyBytes {
            sticky = (sticky + 1) % partitionCount
            stickyBytesSent = 0
        }
        var bytes = record.value?.count ?? 0
        for index in 0..<record.headerCount {
            let header = record.header(index)
            bytes += header.nameCount + (header.value?.count ?? 0)
        }
        stickyBytesSent += max(1, bytes)
        return sticky
    }
}
