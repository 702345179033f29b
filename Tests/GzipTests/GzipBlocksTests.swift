import Foundation
import KtapeTestSupport
import Testing
@testable import Gzip

/// Members written as independent blocks (`GzipBlocks`, pigz's way) are one valid gzip member, the
/// same bytes whatever order the blocks were deflated in, and compress as well as one stream.
struct GzipBlocksTests {
    /// Cuts `input` at `cuts`, deflates the blocks in the order `order` gives, and assembles the member.
    static func member(
        _ input: [UInt8], cuts: [Int], level: Int32, order: (Int) -> [Int] = { Array(0..<$0) },
        primed: Bool = true
    ) throws -> [UInt8] {
        let bounds = zip([0] + cuts, cuts + [input.count]).map { $0..<$1 }
        var blocks = [GzipBlocks.Block?](repeating: nil, count: bounds.count)
        for index in order(bounds.count) {
            let range = bounds[index]
            let dictionary = primed && index > 0 ? Array(input[bounds[index - 1]]) : []
            blocks[index] = try Array(input[range]).withUnsafeBytes { bytes in
                try dictionary.withUnsafeBytes {
                    try GzipBlocks.deflate(bytes, dictionary: $0, level: level, last: index == bounds.count - 1)
                }
            }
        }
        var out = GzipCompressor.header
        var crc: UInt32 = 0
        for block in blocks.compactMap({ $0 }) {
            crc = GzipBlocks.combine(crc, with: block)
            out += block.deflated
        }
        return out + GzipBlocks.trailer(crc: crc, length: UInt64(input.count))
    }

    @Test(arguments: [1, 6, 9] as [Int32])
    func blocksMakeOneMemberThatGzipAndKtapeRead(_ level: Int32) throws {
        var gen = SplitMix64(state: UInt64(level))
        let input = gen.bytes(1_000_003)
        let cuts = [262_144, 262_144 * 2 + 17, 900_000]
        let member = try Self.member(input, cuts: cuts, level: level)
        #expect(try gunzip(member, chunk: 7_777) == input)
        let tool = try #require(GzipSystemToolTests.gzipPath, "gzip must be installed for this test")
        let (output, status) = try runTool(tool, ["-d", "-c"], input: member)
        #expect(status == 0 && output == input)
    }

    @Test func theMemberIsTheSameWhateverOrderTheBlocksRanIn() throws {
        var gen = SplitMix64(state: 11)
        let input = gen.bytes(800_000)
        let cuts = [200_000, 400_000, 600_000]
        let inOrder = try Self.member(input, cuts: cuts, level: 1)
        #expect(try Self.member(input, cuts: cuts, level: 1, order: { Array((0..<$0).reversed()) }) == inOrder)
        #expect(try Self.member(input, cuts: cuts, level: 1, order: { _ in [2, 0, 3, 1] }) == inOrder)
        // A single block is a plain member, and an empty last block ends it too.
        #expect(try gunzip(try Self.member(input, cuts: [], level: 1), chunk: 4096) == input)
        #expect(try gunzip(try Self.member(input, cuts: [input.count], level: 1), chunk: 4096) == input)
    }

    /// Each block is primed with the input before it, so repeats across a boundary still compress:
    /// without the priming the second block of a repeated text costs as much as the first.
    @Test func primingKeepsRepeatsAcrossBlocksCompressed() throws {
        var gen = SplitMix64(state: 5)
        let text = gen.bytes(20_000)
        let input = text + text
        let primed = try Self.member(input, cuts: [text.count], level: 6)
        let unprimed = try Self.member(input, cuts: [text.count], level: 6, primed: false)
        #expect(try gunzip(primed, chunk: 1000) == input)
        #expect(primed.count < unprimed.count * 2 / 3, "\(primed.count) vs \(unprimed.count)")
        // About what one stream of the whole gives.
        let whole = try gzip(input, chunk: input.count)
        #expect(primed.count < whole.count + 64)
    }
}
