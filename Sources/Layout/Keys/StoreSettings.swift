import Foundation

/// How a backup writes its data objects: ktape's envelope or Confluent's JsonFormat.
public enum StoreFormat: String, Codable, Sendable, CaseIterable {
    /// One ktape envelope per line (`.ktape.json`): key, value, headers, timestamp, offset.
    case envelope
    /// Confluent JsonFormat: one JSON value per line (`.json`), value only.
    case confluentJSON = "confluent-json"
}

/// Compression of data objects; gzip adds `.gz` to every extension.
public enum StoreCompression: String, Codable, Sendable, CaseIterable {
    case none
    case gzip
}
