import Foundation
import KtapeTestSupport
import Testing
@testable import Gzip

@Suite struct GzipSystemToolTests {
    static let gzipPath = ["/usr/bin/gzip", "/bin/gzip"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test func systemGzipReadsOurOutput() throws {
        let tool = try #require(Self.gzipPath, "gzip must be installed for this test")
        var gen = SplitMix64(state: 3)
        let input = gen.bytes(777_777)
        let compressed = try gzip(input, chunk: 10_000)
        let (output, status) = try runTool(tool, ["-d", "-c"], input: compressed)
        #expect(status == 0)
        #expect(output == input)
        let (listing, testStatus) = try runTool(tool, ["-t"], input: compressed)
        #expect(testStatus == 0 && listing.isEmpty)
    }

    @Test func weReadSystemGzipOutputIncludingConcatenation() throws {
        let tool = try #require(Self.gzipPath, "gzip must be installed for this test")
        var gen = SplitMix64(state: 4)
        let a = gen.bytes(100_000)
        let b = gen.bytes(3)
        let (ga, s1) = try runTool(tool, ["-c", "-9"], input: a)
        let (gb, s2) = try runTool(tool, ["-c", "-1"], input: b)
        #expect(s1 == 0 && s2 == 0)
        #expect(try gunzip(ga + gb, chunk: 4096) == a + b)
    }
}
