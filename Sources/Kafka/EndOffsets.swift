import Layout
/// End offsets of many partitions: one ListOffsets request per broker first, then, for partitions it
/// could not answer (the whole request failed, or a broker gave an error or nothing for some, as a
/// librdkafka 2.16 client meets a 2.0.2 mock cluster's empty partitions), one watermark query each.
/// Only a partition that neither way can read fails the call.
enum EndOffsets {
    static func read(
        _ partitions: [TopicPartition],
        batched: ([TopicPartition]) throws -> [TopicPartition: Int64?],
        single: (TopicPartition) throws -> Int64
    ) throws -> [TopicPartition: Int64] {
        let found: [TopicPartition: Int64?]
        do {
            found = try batched(partitions)
        } catch let error as KafkaError where error.code == .timedOut || error.code == .transport {
            // A cluster that did not answer at all will not answer a query per partition either.
            throw error
        } catch {
            found = [:]
        }
        var ends: [TopicPartition: Int64] = [:]
        for partition in partitions {
            if let end = found[partition] ?? nil {
                ends[partition] = end
            } else {
                ends[partition] = try single(partition)
            }
        }
        return ends
    }
}
