import Foundation
import Kafka
import Layout
import Testing

/// DescribeGroups hands each member's assignment over as Kafka's ConsumerProtocolAssignment bytes.
@Suite struct ConsumerAssignmentTests {
    /// Version 0 (eager assignors) and version 1 with user data (cooperative-sticky), as Kafka writes them.
    @Test func partitionsAreReadFromEachVersion() {
        var v0: [UInt8] = [0, 0, 0, 0, 0, 2]
        v0 += [0, 6] + Array("orders".utf8) + [0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3]
        v0 += [0, 1] + Array("p".utf8) + [0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff]
        v0 += [0xff, 0xff, 0xff, 0xff]  // null user data
        let expected = [TopicPartition("orders", 0), TopicPartition("orders", 3), TopicPartition("p", Int32.max)]
        #expect(v0.withUnsafeBytes { ConsumerAssignment.partitions($0) } == expected)
        var v1 = v0
        v1[1] = 1
        v1.removeLast(4)
        v1 += [0, 0, 0, 3, 1, 2, 3]
        #expect(v1.withUnsafeBytes { ConsumerAssignment.partitions($0) } == expected)
    }

    @Test func anEmptyAssignmentHasNoPartitionsAndBrokenBytesAreNotAnAssignment() {
        #expect([UInt8]().withUnsafeBytes { ConsumerAssignment.partitions($0) } == [])
        #expect(([0, 0, 0, 0, 0, 0] as [UInt8]).withUnsafeBytes { ConsumerAssignment.partitions($0) } == [])
        let cut: [UInt8] = [0, 0, 0, 0, 0, 1, 0, 6] + Array("ord".utf8)
        #expect(cut.withUnsafeBytes { ConsumerAssignment.partitions($0) } == nil)
        let negative: [UInt8] = [0, 0, 0xff, 0xff, 0xff, 0xff]
        #expect(negative.withUnsafeBytes { ConsumerAssignment.partitions($0) } == nil)
    }
}
