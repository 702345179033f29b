import Foundation

/// What a data object holds, which decides its extension.
public enum ObjectContent: String, Codable, Sendable, CaseIterable {
    /// Confluent JsonFormat values (`.json`).
    case values
    /// Confluent `store.kafka.keys` companion (`.keys.json`).
    case keys
    /// Confluent `store.kafka.headers` companion (`.headers.json`).
    case headers
    /// ktape envelopes (`.ktape.json`).
    case envelope

    /// The extension without compression, without a leading dot.
    public var baseExtension: String {
        switch self {
        case .values: return "json"
        case .keys: return "keys.json"
        case .headers: return "headers.json"
        case .envelope: return "ktape.json"
        }
    }
}

/// An object kind × compression pair; it alone decides a data object's extension.
public struct ObjectFileKind: Hashable, Codable, Sendable, CustomStringConvertible {
    public var content: ObjectContent
    public var compression: StoreCompression

    public init(_ content: ObjectContent, _ compression: StoreCompression = .none) {
        self.content = content
        self.compression = compression
    }

    /// Every kind ktape knows, for listing and documentation.
    public static let all: [ObjectFileKind] = ObjectContent.allCases.flatMap { content in
        StoreCompression.allCases.map { ObjectFileKind(content, $0) }
    }

    /// The extension without a leading dot, e.g. `ktape.json.gz`.
    public var fileExtension: String {
        compression == .gzip ? content.baseExtension + ".gz" : content.baseExtension
    }

    public var description: String { fileExtension }

    /// The kind for an extension (no leading dot), or nil when ktape does not know it.
    public init?(fileExtension: String) {
        guard let kind = Self.byExtension[fileExtension] else { return nil }
        self = kind
    }

    private static let byExtension = Dictionary(all.map { ($0.fileExtension, $0) }, uniquingKeysWith: { first, _ in first })

    /// The kind for an extension's bytes: a key parser's look-up, with no string made.
    init?(fileExtension bytes: UnsafeBufferPointer<UInt8>) {
        guard let kind = Self.extensionBytes.first(where: { $0.bytes.elementsEqual(bytes) })?.kind else { return nil }
        self = kind
    }

    private static let extensionBytes = all.map { (bytes: Array($0.fileExtension.utf8), kind: $0) }

    /// The main data object kind a backup writes for a format and compression.
    public static func data(format: StoreFormat, compression: StoreCompression) -> ObjectFileKind {
        ObjectFileKind(format == .envelope ? .envelope : .values, compression)
    }
}
