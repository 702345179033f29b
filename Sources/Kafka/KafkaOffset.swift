/// Where a reader starts in a partition.
public enum KafkaOffset: Hashable, Sendable {
    /// The oldest record still in the log (the log start offset).
    case beginning
    /// After the last record: only records produced from now on.
    case end
    /// The offset committed by the reader's group (group mode).
    case stored
    /// This exact offset.
    case exact(Int64)

    var rawValue: Int64 {
        switch self {
        case .beginning: return -2
        case .end: return -1
        case .stored: return -1000
        case .exact(let offset): return offset
        }
    }
}
