import Foundation
import Testing
@testable import Kafka
import Layout

@Suite struct GroupModeTests {
    @Test func subscribedReaderIsAssignedAllPartitionsAndReadsThem() throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        let topic = uniqueTopic("group")
        try cluster.createTopic(topic, partitions: 3)
        let records = (0..<30).map { KafkaProducerRecord(topic: topic, partition: Int32($0 % 3), key: nil, value: [UInt8($0)]) }
        _ = try produceAll(records, config: cluster.config)
        let reader = try KafkaPartitionReader(config: cluster.config, groupID: "scale-out")
        try reader.subscribe(topics: [topic], startOffset: { _ in .beginning })
        var assigned = Set<TopicPartition>()
        var values = Set<UInt8>()
        let deadline = Date().addingTimeInterval(120)  // the loop ends once every record came: generous for a loaded machine
        while values.count < 30, Date() < deadline {
            for event in try reader.poll(timeoutMilliseconds: 200) {
                if case .assigned(let partitions) = event { assigned.formUnion(partitions) }
                if case .record(let record) = event, let value = record.value?.first { values.insert(value) }
            }
        }
        #expect(assigned == Set((0..<3).map { TopicPartition(topic: topic, partition: Int32($0)) }))
        #expect(values.count == 30)
        #expect(Set(try reader.assignment()) == assigned)

        // What a member holding nothing asks first: who holds what (DescribeGroups, which Debian's
        // mock lacks).
        let admin = try KafkaAdmin(config: cluster.config)
        do {
            let held = try admin.heldPartitions(group: "scale-out", timeoutMilliseconds: 3000)
            #expect(held == nil || held == assigned)
        } catch let error as KafkaError {
            #expect(error.kind == .unsupported(operation: "DescribeGroups"))
        }
    }
}
