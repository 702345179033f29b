import Checksums

/// S3-style ETags, so stores agree on what a changed object looks like.
enum ETag {
    /// MD5 hex of the body, as S3 gives a single PUT.
    static func whole(_ body: [UInt8]) -> String { Digest.hex(Digest.md5(body)) }

    /// MD5 of the parts' MD5s, dash, part count: S3's multipart ETag.
    static func multipart(partETags: [String]) -> String {
        var joined: [UInt8] = []
        for etag in partETags { joined += hexBytes(etag) }
        return "\(Digest.hex(Digest.md5(joined)))-\(partETags.count)"
    }

    private static func hexBytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let h = nibble(high), let l = nibble(low) else { return Array(hex.utf8) }
            bytes.append(h << 4 | l)
        }
        return bytes
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// Range rules shared by the in-process stores: S3 answers 416 for a start at or past the end.
enum RangeRules {
    static func slice(_ size: Int64, _ range: ByteRange?, operation: String, location: String, key: String) throws -> Range<Int64> {
        guard let range else { return 0..<size }
        guard range.offset >= 0, range.length > 0, range.offset < size else {
            throw StoreError(
                .invalidRequest, operation: operation, location: location, key: key, code: "InvalidRange",
                message: "\(range) is outside the object's \(size) bytes", status: 416)
        }
        return range.offset..<min(size, range.offset + range.length)
    }
}
