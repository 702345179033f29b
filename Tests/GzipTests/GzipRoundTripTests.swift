import KtapeTestSupport
import Testing
@testable import Gzip

@Suite struct GzipRoundTripTests {
    static let sizes = [0, 1, 2, 100, 65_535, 65_536, 65_537, 300_000, 2 * 1024 * 1024 + 3]

    @Test(arguments: sizes)
    func roundTripsAcrossChunkings(size: Int) throws {
        var gen = SplitMix64(state: UInt64(size) &+ 17)
        let input = gen.bytes(size)
        for (compressChunk, readChunk) in [(1 << 30, 1 << 30), (4096, 1), (7, 4096), (65_536, 13)]
        where size < 400_000 || compressChunk > 100 && readChunk > 100 {
            let compressed = try gzip(input, chunk: compressChunk)
            let restored = try gunzip(compressed, chunk: readChunk)
            #expect(restored == input, "size \(size), chunks \(compressChunk)/\(readChunk)")
        }
    }

    @Test func incompressibleDataRoundTrips() throws {
        var gen = SplitMix64(state: 99)
        let input = (0..<500_000).map { _ in UInt8(truncatingIfNeeded: gen.next()) }
        #expect(try gunzip(try gzip(input, chunk: 100_000), chunk: 10_000) == input)
    }

    @Test func concatenatedMembersReadAsOneStream() throws {
        var gen = SplitMix64(state: 5)
        let a = gen.bytes(70_000)
        let b = gen.bytes(10)
        let c = [UInt8]()
        let joined = try gzip(a, chunk: 999) + gzip(b, chunk: 999) + gzip(c, chunk: 1)
        for chunk in [1, 17, 1 << 20] {
            #expect(try gunzip(joined, chunk: chunk) == a + b + c)
        }
    }
}
