import Testing
@testable import Kafka
import Layout

/// End offsets come from one batched request where it answers, and from per-partition watermark
/// queries where it does not.
struct EndOffsetsTests {
    let partitions = (0..<4).map { TopicPartition(topic: "t", partition: Int32($0)) }

    @Test func aFailedBatchFallsBackToWatermarksForEveryPartition() throws {
        var asked: [Int32] = []
        let ends = try EndOffsets.read(
            partitions,
            batched: { _ in
                throw KafkaError(code: .unknownPartition, operation: "offsets for times")
            },
            single: { partition in
                asked.append(partition.partition)
                return Int64(partition.partition) * 10
            })
        #expect(asked == [0, 1, 2, 3])
        #expect(ends == Dictionary(uniqueKeysWithValues: partitions.map { ($0, Int64($0.partition) * 10) }))
    }

    @Test func partitionsTheBatchLeftOutAreAskedOneByOne() throws {
        var asked: [Int32] = []
        let ends = try EndOffsets.read(
            partitions,
            batched: { partitions in
                let answered: [TopicPartition: Int64?] = [partitions[0]: 5, partitions[1]: Int64?.none, partitions[3]: 7]
                return answered
            },
            single: { partition in
                asked.append(partition.partition)
                return 99
            })
        #expect(asked == [1, 2])
        #expect(ends[partitions[0]] == 5 && ends[partitions[1]] == 99 && ends[partitions[2]] == 99 && ends[partitions[3]] == 7)
    }

    @Test func aClusterThatDidNotAnswerIsNotAskedOncePerPartition() {
        var asked = 0
        #expect(throws: KafkaError.self) {
            _ = try EndOffsets.read(
                partitions, batched: { _ in throw KafkaError(code: .timedOut, operation: "offsets for times") },
                single: { _ in
                    asked += 1
                    return 0
                })
        }
        #expect(asked == 0)
    }

    @Test func aPartitionNeitherWayCanReadFailsTheCall() {
        #expect(throws: KafkaError.self) {
            _ = try EndOffsets.read(
                partitions, batched: { _ in [:] },
                single: { partition in
                    if partition.partition == 2 { throw KafkaError(code: .unknownPartition, operation: "query watermark offsets") }
                    return 1
                })
        }
    }
}
