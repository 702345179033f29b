import Foundation

/// A topic and partition: the unit Kafka reads and writes, and checkpoints and coverage are kept by.
public struct TopicPartition: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public init(topic: String, partition: Int32) {
        self.init(topic, partition)
    }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    public var description: String { "\(topic)/\(partition)" }
}
