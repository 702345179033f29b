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

    /// Reads the base64 form, exactly as ``base64`` spells it (11 characters and `=`); nil for any
    /// other text. By hand, not through `Data`: a restore reads one per object of the store.
    public init?(base64: String) {
        let read = base64.utf8.withContiguousStorageIfAvailable(Self.canonicalValue) ?? Self.canonicalValue(Array(base64.utf8))
        guard let read else { return nil }
        value = read
    }

    private static func canonicalValue<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> UInt64?
    where Bytes.Index == Int {
        guard bytes.count == 12, bytes[bytes.startIndex + 11] == UInt8(ascii: "=") else { return nil }
        var value: UInt64 = 0
        for byte in bytes[bytes.startIndex..<bytes.startIndex + 10] {
            guard let sextet = base64Value(byte) else { return nil }
            value = value << 6 | UInt64(sextet)
        }
        // The eleventh character holds the last 4 bits and 2 spare ones, zero in the canonical form.
        guard let last = base64Value(bytes[bytes.startIndex + 10]), last & 0b11 == 0 else { return nil }
        return value << 4 | UInt64(last >> 2)
    }

    private static func base64Value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }

    /// Whether this machine runs the carry-less multiplication path.
    public static var isAccelerated: Bool { ktape_crc64nvme_accelerated() != 0 }

    /// The table-only computation (tests compare it with the fast path).
    public static func portable(_ bytes: UnsafeRawBufferPointer, startingFrom start: UInt64 = 0) -> UInt64 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return start }
        return ktape_crc64nvme_portable(start, base, bytes.count)
    }
}
