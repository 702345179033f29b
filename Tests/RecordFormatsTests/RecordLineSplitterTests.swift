import Testing
@testable import RecordFormats

@Suite struct RecordLineSplitterTests {
    func split(_ stream: [UInt8], chunk: Int) -> (lines: [[UInt8]], rest: [UInt8]?) {
        var splitter = LineSplitter()
        var lines: [[UInt8]] = []
        var i = 0
        while i < stream.count {
            let end = min(i + chunk, stream.count)
            lines += splitter.feed(Array(stream[i..<end]))
            i = end
        }
        #expect(splitter.linesEmitted == lines.count)
        return (lines, splitter.finish())
    }

    /// 300 random lines (no `\n` inside, some empty) and the stream they make.
    func randomLines(seed: UInt64) -> (lines: [[UInt8]], stream: [UInt8]) {
        var random = RecordRandom(state: seed)
        var lines: [[UInt8]] = []
        var stream: [UInt8] = []
        for _ in 0..<300 {
            let line = (0..<random.below(50)).map { _ in UInt8(truncatingIfNeeded: random.next()) }.filter { $0 != 0x0A }
            lines.append(line)
            stream += line + [0x0A]
        }
        return (lines, stream)
    }

    @Test(arguments: [1, 2, 3, 7, 64, 1 << 20])
    func linesSurviveAnyChunking(chunk: Int) {
        let (expected, stream) = randomLines(seed: UInt64(chunk))
        let (lines, rest) = split(stream, chunk: chunk)
        #expect(lines == expected)
        #expect(rest == nil)
    }

    @Test func missingFinalNewlineIsReported() {
        let (lines, rest) = split(Array("a\nbc".utf8), chunk: 3)
        #expect(lines == [Array("a".utf8)])
        #expect(rest == Array("bc".utf8))
        #expect(split([], chunk: 1).rest == nil)
        #expect(split([0x0A, 0x0A], chunk: 1).lines == [[], []])
    }

    @Test func megabyteLinesAcrossSmallChunks() {
        let big = [UInt8](repeating: 0x61, count: 3 << 20)
        var stream = big + [0x0A] + Array("short".utf8) + [0x0A] + big + [0x0A]
        stream += Array("tail".utf8)
        let (lines, rest) = split(stream, chunk: 4096)
        #expect(lines.count == 3)
        #expect(lines.first == big && lines.last == big && lines[1] == Array("short".utf8))
        #expect(rest == Array("tail".utf8))
    }

    @Test func viewsInsideOneChunkAreNotCopied() {
        var splitter = LineSplitter()
        let chunk = Array("ab\ncd\n".utf8)
        chunk.withUnsafeBytes { bytes in
            var starts: [UnsafeRawPointer?] = []
            splitter.feed(bytes) { starts.append($0.baseAddress) }
            #expect(starts == [bytes.baseAddress, bytes.baseAddress.map { $0 + 3 }])
        }
    }

    /// Restore lends a chunk to the producer in pieces: feeding each chunk by budget, resuming where
    /// the last piece stopped, yields the same lines, and each piece stops just past the line that
    /// reaches its budget.
    @Test(arguments: [(5, 1), (64, 10), (64, 200), (4096, 1 << 20)])
    func piecesByBudgetYieldTheSameLines(chunk: Int, budget: Int) {
        let (expected, stream) = randomLines(seed: UInt64(chunk * 31 + budget))
        var splitter = LineSplitter()
        var lines: [[UInt8]] = []
        var overBudget = 0
        var i = 0
        while i < stream.count {
            let piece = Array(stream[i..<min(i + chunk, stream.count)])
            var used = 0
            while used < piece.count {
                var pieceLines: [[UInt8]] = []
                used += piece[used...].withUnsafeBytes { splitter.feed($0, budget: budget) { pieceLines.append(Array($0)) } }
                // Every line but the last of a piece leaves it under budget.
                if pieceLines.dropLast().reduce(0, { $0 + $1.count }) >= budget { overBudget += 1 }
                lines += pieceLines
            }
            #expect(used == piece.count)
            i += chunk
        }
        #expect(lines == expected)
        #expect(overBudget == 0)
        #expect(splitter.finish() == nil)
    }
}
