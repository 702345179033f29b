import CCRC64
import Foundation

/// CRC-64/NVME, the `CRC64NVME` of S3's checksums: what ktape records for every object it writes, and
/// what S3 computes and keeps with it. Detects accidental damage (a flipped bit, a cut or a wrong
/// object); it is not a defence against someone who can rewrite both an object and its manifest, and
/// neither would SHA-256 be there. About 20 GB/s with carry-less multiplication (x86-64), a few GB/s
/// with the portable table elsewhere.
public struct CRC64NVME: Sendable, Equatable {
    /// The checksum of the bytes so far (0 for none).
    public private(set) var value: UInt64 = 0

    public init() {}

    public init(value: UInt64) { self.value = value }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        value = ktape_crc64nvme(value, base, bytes.count)
    }

    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil { Array(bytes).withUnsafeBytes { update($0) } }
    }

    public static func checksum<C: Collection>(_ bytes: C) -> CRC64NVME where C.Element == UInt8 {
        var crc = CRC64NVME()
        crc.update(bytes)
        return crc
    }

    /// The checksum of A followed by B, from those of A and B and the length of B (S3 combines part
    /// checksums into a full-object checksum the same way).
    public static func combine(_ a: CRC64NVME, _ b: CRC64NVME, lengthOfB: Int64) -> CRC64NVME {
        CRC64NVME(value: ktape_crc64nvme_combine(a.value, b.value, UInt64(max(0, lengthOfB))))
    }

    /// Big-endian bytes in base64, as S3 sends and takes it (`x-amz-checksum-crc64nvme`) and as
    /// manifests record it.
    public var base64: String {
        withUnsafeBytes(of: value.bigEndian) { Data($0).base64EncodedString() }
    }

    /// Reads the base64 form; nil unless it is exactly 8 bytes.
    public init?(base64: String) {
        guard let data = Data(base64Encoded: base64), data.count == 8, data.base64EncodedString() == base64 else { return nil }
        value = data.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Whether this machine runs the carry-less multiplication path.
    public static var isAccelerated: Bool { ktape_crc64nvme_accelerated() != 0 }

    /// The table-only computation (tests compare it with the fast path).
    public static func portable(_ bytes: UnsafeRawBufferPointer, startingFrom start: UInt64 = 0) -> UInt64 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return start }
        return ktape_crc64nvme_portable(start, base, bytes.count)
    }
}
