import CZlib

/// One gzip member written as independent blocks (pigz's way), so that the blocks of one object can
/// be deflated side by side on several cores and still make one member, the same bytes whatever ran
/// when: each block is raw deflate primed with the 32 KiB of input before it (what an inflater's
/// window holds at that point) and ended by a sync flush, which leaves it byte-aligned and open; the
/// last ends the stream. Their concatenation, between `GzipCompressor.header` and `trailer`, is one
/// deflate stream. The blocks' CRC-32s are combined in order for the trailer.
public enum GzipBlocks {
    /// What one block's deflate gave.
    public struct Block: Sendable {
        public var deflated: [UInt8]
        /// CRC-32 and length of the block's input.
        public var crc: UInt32
        public var length: Int
    }

    /// The input a block's successor is primed with: its last 32 KiB (deflate's window).
    public static let dictionarySize = 32 * 1024

    /// Deflates `input` at zlib `level` (1...9), primed with `dictionary` (the input just before it;
    /// empty for the first block), ending the stream when `last`.
    public static func deflate(
        _ input: UnsafeRawBufferPointer, dictionary: UnsafeRawBufferPointer, level: Int32,
        last: Bool
    ) throws(GzipError) -> Block {
        let stream = try ZStream(mode: .deflate, level: level, windowBits: -15)
        let s = stream.pointer
        if let base = dictionary.baseAddress, !dictionary.isEmpty {
            let primed = dictionary.count > dictionarySize ? base + (dictionary.count - dictionarySize) : base
            let code = deflateSetDictionary(s, primed.assumingMemoryBound(to: UInt8.self), uInt(min(dictionary.count, dictionarySize)))
            guard code == Z_OK else {
                throw GzipError.zlib(function: "deflateSetDictionary", code: code, message: ZStream.message(s, code: code))
            }
        }
        var out: [UInt8] = []
        // deflateBound plus a sync flush's empty stored block: one pass, one allocation.
        let room = Int(deflateBound(s, uLong(input.count))) + 16
        var crc = UInt32(0)
        try out.append(addingCapacity: room) { (span: inout OutputSpan<UInt8>) throws(GzipError) in
            try span.withUnsafeMutableBufferPointer { (buffer, initialized) throws(GzipError) in
                s.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
                s.pointee.avail_in = uInt(input.count)
                s.pointee.next_out = buffer.baseAddress
                s.pointee.avail_out = uInt(buffer.count)
                let code = CZlib.deflate(s, last ? Z_FINISH : Z_SYNC_FLUSH)
                guard last ? code == Z_STREAM_END : code == Z_OK && s.pointee.avail_in == 0 && s.pointee.avail_out > 0 else {
                    throw GzipError.zlib(function: "deflate", code: code, message: ZStream.message(s, code: code))
                }
                initialized = buffer.count - Int(s.pointee.avail_out)
            }
        }
        if let base = input.baseAddress, !input.isEmpty {
            crc = UInt32(truncatingIfNeeded: crc32(0, base.assumingMemoryBound(to: UInt8.self), uInt(input.count)))
        }
        return Block(deflated: out, crc: crc, length: input.count)
    }

    /// The CRC-32 of the input so far followed by `block`'s.
    public static func combine(_ crc: UInt32, with block: Block) -> UInt32 {
        UInt32(truncatingIfNeeded: crc32_combine(uLong(crc), uLong(block.crc), Int(block.length)))
    }

    /// The member's end: CRC-32 and length (mod 2^32) of all its input, little-endian.
    public static func trailer(crc: UInt32, length: UInt64) -> [UInt8] {
        let size = UInt32(truncatingIfNeeded: length)
        return [crc, size].flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    }
}
