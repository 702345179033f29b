import KtapeTestSupport
import Testing
@testable import Gzip

@Suite struct GzipDeterminismTests {
    @Test func sameInputGivesSameBytesWhateverTheChunking() throws {
        var gen = SplitMix64(state: 42)
        let input = gen.bytes(1_000_000)
        let reference = try gzip(input, chunk: 1 << 30)
        for chunk in [1_000, 65_536, 333_333] {
            #expect(try gzip(input, chunk: chunk) == reference, "chunk \(chunk)")
        }
    }

    @Test func headerHasNoTimestampNameOrHostOS() throws {
        let out = try gzip(Array("hello".utf8), chunk: 5)
        #expect(Array(out.prefix(10)) == [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF])
    }

    @Test func trailerHoldsCRCAndLength() throws {
        // CRC-32 of "hello" is 0x3610A686 (a published check value), length 5, both little-endian.
        let out = try gzip(Array("hello".utf8), chunk: 2)
        #expect(Array(out.suffix(8)) == [0x86, 0xA6, 0x10, 0x36, 5, 0, 0, 0])
    }
}
