import SigV4

/// SHA-256 hex as manifests carry it.
enum Checksum {
    static func sha256Hex(_ bytes: [UInt8]) -> String { Digest.hex(Digest.sha256(bytes)) }
}
